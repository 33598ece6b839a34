import type { Config, HookEvent } from '../config/schema.js';
import { displayArgv } from '../nginx/test-config.js';
import { previewUrl } from '../nginx/preview.js';
import type { HookCommand, HookStep } from '../steps/hooks.js';
import type { Step } from '../steps/index.js';

// Where hooks go in a plan, decided here once so the deploy and switch planners only hand over
// their steps:
//   deploy:          [arm failed] [pre-deploy]  ...deploy steps...             [post-deploy]
//   switch/rollback: lock [arm failed] [pre-switch] ...switch, verify, record... [post-switch | post-rollback]
// A pre- hook runs after the switch lock is taken (a migration never runs beside another switch)
// and before anything changes. A rollback is a switch: pre-switch hooks run before it, and
// post-rollback (not post-switch) after it. `failed` hooks are armed after the lock, so a refused
// lock (exit 3) is not reported as a failure.

export interface HookFacts {
  command: string;
  app: string;
  revision: string;
  previous: string | null;
  digest?: string;
  who: string;
}

function variables(config: Config, event: HookEvent, f: HookFacts): Record<string, string> {
  return {
    DEPLOYER_APP: f.app,
    DEPLOYER_EVENT: event,
    DEPLOYER_COMMAND: f.command,
    DEPLOYER_REVISION: f.revision,
    DEPLOYER_PREVIOUS: f.previous ?? '',
    DEPLOYER_DIGEST: f.digest ?? '',
    DEPLOYER_WHO: f.who,
    DEPLOYER_PREVIEW_URL: config.preview ? previewUrl(config.preview, f.revision) : '',
  };
}

/** DEPLOYER_DIGEST is known when the image is named by digest (`repo@sha256:…`). */
export function imageDigest(image: string): { digest?: string } {
  const at = image.indexOf('@sha256:');
  return at < 0 ? {} : { digest: image.slice(at + 1) };
}

/**
 * `{DEPLOYER_X}` in an argument becomes the variable's value (one argument stays one argument).
 * Placeholders `env` lacks stay as they are: {DEPLOYER_ERROR} is only known when a `failed` hook runs.
 */
export function substitute(arg: string, env: Record<string, string>): string {
  return arg.replace(/\{(DEPLOYER_[A-Z_]+)\}/g, (m, v: string) => env[v] ?? m);
}

export function hookCommands(config: Config, event: HookEvent, f: HookFacts): HookCommand[] {
  return config.hooks[event].map((h, i) => {
    const env = variables(config, event, f);
    return { event, name: h.name ?? `${event}-${i + 1}`, argv: h.command.map((a) => substitute(a, env)), env, timeoutMs: h.timeoutSeconds * 1000 };
  });
}

const WHAT: Record<'abort' | 'report' | 'armed', string> = {
  abort: 'a failure stops here, before anything changes',
  report: 'a failure is reported but does not undo what was done',
  armed: 'runs only if a later step fails',
};

function step(c: HookCommand, i: number, mode: 'abort' | 'report' | 'armed'): HookStep {
  const base = {
    ...c,
    id: `hook-${c.event}-${i + 1}`,
    title: `${mode === 'armed' ? 'on failure: ' : ''}hook ${c.name}: ${displayArgv(c.argv)}  (within ${c.timeoutMs / 1000}s; ${WHAT[mode]})`,
    detail: Object.entries(c.env).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`),
  };
  return mode === 'armed' ? { ...base, kind: 'hook.on-failure' } : { ...base, kind: 'hook.run', onFailure: mode };
}

function hookSteps(config: Config, event: HookEvent, f: HookFacts): HookStep[] {
  const mode = event === 'failed' ? 'armed' : event.startsWith('pre-') ? 'abort' : 'report';
  return hookCommands(config, event, f).map((c, i) => step(c, i, mode));
}

/** A deploy's steps with its hooks (an empty plan stays empty: nothing happens, nothing to hook). */
export function withDeployHooks(config: Config, steps: Step[], f: Omit<HookFacts, 'command'>): Step[] {
  if (steps.length === 0) return steps;
  const h = { ...f, command: 'deploy' };
  return [...hookSteps(config, 'failed', h), ...hookSteps(config, 'pre-deploy', h), ...steps, ...hookSteps(config, 'post-deploy', h)];
}

/** A switch's or rollback's steps with its hooks, the pre- ones right after the lock. */
export function withSwitchHooks(config: Config, steps: Step[], f: HookFacts & { command: 'switch' | 'rollback' }): Step[] {
  if (steps.length === 0) return steps;
  const at = steps.findIndex((s) => s.kind === 'switch.lock') + 1;
  return [
    ...steps.slice(0, at),
    ...hookSteps(config, 'failed', f),
    ...hookSteps(config, 'pre-switch', f),
    ...steps.slice(at),
    ...hookSteps(config, f.command === 'rollback' ? 'post-rollback' : 'post-switch', f),
  ];
}

/** One line naming a hook for messages: `post-switch hook notify-chat`. */
export const hookLabel = (s: Pick<HookCommand, 'event' | 'name'>) => `${s.event} hook ${s.name}`;
