import chalk, { chalkStderr } from 'chalk';
import type { Ora } from 'ora';
import type { Paint } from '../core/render-plan.js';
import type { Step } from '../core/steps/index.js';
import type { StepObserver } from '../exec/executor.js';
import type { Log } from '../ports/log.js';

// The only place that knows about TTYs, colour and spinners. Results and plans go to stdout,
// progress to stderr. On a TTY: spinners and colour. In Jenkins (no TTY, or CI set): plain
// timestamped lines. NO_COLOR is honoured by hand: chalk ignores it on purpose.

export interface OutputOptions {
  verbose: boolean;
  json: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env?: NodeJS.ProcessEnv;
}

export interface Output extends Log {
  /** A result or plan for stdout. */
  print(text: string): void;
  paint: Paint;
  observer: StepObserver;
  /** Stops any spinner so a prompt or final message is not overwritten. */
  pause(): void;
}

export function createOutput(opts: OutputOptions): Output {
  const env = opts.env ?? process.env;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const noColor = 'NO_COLOR' in env;
  if (noColor) {
    chalk.level = 0;
    chalkStderr.level = 0;
  }
  const out = chalk;
  const err = chalkStderr;
  // ora hangs on a 0-column TTY (docs/traps.md §4): require a real width.
  const spinners = Boolean(stderr.isTTY && (stderr.columns ?? 0) > 0 && !('CI' in env) && env.TERM !== 'dumb') && !opts.json;
  let spinner: Ora | undefined;
  // ora is loaded only for a terminal (never for Jenkins or a pipe), starting now so it is there by
  // the first step; a step that starts before it arrives prints a plain line instead.
  let ora: typeof import('ora').default | undefined;
  if (spinners) import('ora').then((m) => (ora = m.default), () => {});

  const stamp = () => (spinners ? '' : `${new Date().toISOString().slice(11, 19)} `);
  const line = (text: string) => {
    if (spinner?.isSpinning) spinner.clear();
    stderr.write(`${stamp()}${text}\n`);
    if (spinner?.isSpinning) spinner.render();
  };
  const stopSpinner = () => {
    if (spinner?.isSpinning) spinner.stop();
    spinner = undefined;
  };

  const ok = err.green('✔');
  const bad = err.red('✖');
  const observer: StepObserver = {
    started(step: Step, i: number, total: number) {
      const text = `[${i + 1}/${total}] ${step.title}`;
      if (spinners && ora) {
        stopSpinner();
        spinner = ora({ text, stream: stderr, discardStdin: false, isEnabled: true }).start();
      } else {
        line(`> ${text}`);
      }
    },
    finished(step: Step, ms: number) {
      const text = `${step.title} ${err.dim(`(${formatMs(ms)})`)}`;
      if (spinner) {
        spinner.stopAndPersist({ symbol: ok, text });
        spinner = undefined;
      } else {
        line(`${ok} ${text}`);
      }
    },
    failed(step: Step, ms: number) {
      const text = `${step.title} ${err.dim(`(failed after ${formatMs(ms)})`)}`;
      if (spinner) {
        spinner.stopAndPersist({ symbol: bad, text });
        spinner = undefined;
      } else {
        line(`${bad} ${text}`);
      }
    },
    cleanupFailed(what: string, e: unknown) {
      line(err.yellow(`warning: cleanup "${what}" failed: ${e instanceof Error ? e.message : String(e)}`));
    },
  };

  return {
    print(text) {
      stopSpinner();
      stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    paint: {
      added: (s) => out.green(s),
      removed: (s) => out.red(s),
      heading: (s) => out.bold(s),
      dim: (s) => out.dim(s),
    },
    observer,
    pause: stopSpinner,
    info: (m) => line(m),
    warn: (m) => line(err.yellow(`warning: ${m}`)),
    output: (l, source) => line(err.dim(source ? `  ${source} | ${l}` : `  | ${l}`)),
    progress: (m) => {
      if (spinner) spinner.text = m;
      else if (opts.verbose) line(m);
    },
    debug: (m) => {
      if (opts.verbose) line(err.dim(`debug: ${m}`));
    },
  };
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
