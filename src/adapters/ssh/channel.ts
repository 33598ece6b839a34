import { constants } from 'node:os';
import type { Client, ClientChannel } from 'ssh2';
import { LineSplitter } from '../docker/lines.js';

// One remote command over an open connection. The command string must already be quoted
// (core/ssh/quote.ts). Resolves on non-zero exits; rejects only when the command could not run to
// an end (channel refused, connection lost, timeout, abort).
//
// Stopping a remote command: closing the channel does not stop it (sshd leaves a session without a
// pty running), and sshd refuses the "signal" request for root logins ("session signalling requires
// privilege separation", verified with OpenSSH 9.2). So the command is prefixed with `echo <marker>$$;`:
// sshd starts the login shell in a new session (setsid), so that pid is also the process group,
// and a timeout or abort sends `kill -TERM -<pgid>` (then KILL) over a second channel. The pid line
// is removed from stdout (anything a chatty shell rc file printed before it is kept).
// `kill -TERM -N` is the form dash, bash and busybox ash all accept.

const PID_MARKER = Buffer.from('@deployer-remote-pid ');

export interface ChannelResult {
  /** The exit status, or 128 + signal number when the remote process was killed (as a shell reports it). */
  exitCode: number;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

export interface ChannelOptions {
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class ChannelTimeoutError extends Error {
  override name = 'ChannelTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

export class ChannelLostError extends Error {
  override name = 'ChannelLostError';
}

function signalNumber(name: string): number | undefined {
  return (constants.signals as Record<string, number>)[`SIG${name.replace(/^SIG/, '')}`];
}

const KILL_GRACE_SECONDS = 2;
const PID_WAIT_MS = 3000;
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** TERM the remote process group now, KILL it a little later (from a detached remote job). */
function killGroup(client: Client, pgid: number): Promise<void> {
  const command = `kill -TERM -${pgid} 2>/dev/null; (sleep ${KILL_GRACE_SECONDS}; kill -KILL -${pgid} 2>/dev/null) >/dev/null 2>&1 </dev/null &`;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000);
    try {
      client.exec(command, (err, ch) => {
        if (err) {
          clearTimeout(timer);
          return resolve();
        }
        ch.resume();
        ch.stderr.resume();
        ch.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } catch {
      clearTimeout(timer);
      resolve(); // not connected any more
    }
  });
}

/** Removes the pid line from the head of stdout; everything else passes through. */
class PidReader {
  pid: number | undefined;
  #head: Buffer | undefined = Buffer.alloc(0);
  #arrived!: () => void;
  /** Settles when the pid line has been read or the channel has closed. */
  readonly done = new Promise<void>((r) => (this.#arrived = r));
  constructor(private readonly emit: (b: Buffer) => void) {}
  push(chunk: Buffer): void {
    if (this.#head === undefined) return this.emit(chunk);
    const head = Buffer.concat([this.#head, chunk]);
    const at = head.indexOf(PID_MARKER);
    const nl = at < 0 ? -1 : head.indexOf(0x0a, at);
    if (nl < 0) {
      this.#head = head;
      return;
    }
    this.pid = Number(head.subarray(at + PID_MARKER.length, nl).toString('latin1')) || undefined;
    this.#head = undefined;
    this.#arrived();
    const rest = Buffer.concat([head.subarray(0, at), head.subarray(nl + 1)]);
    if (rest.length) this.emit(rest);
  }
  /** At close: output that never reached the marker (the shell did not run our line) is output. */
  end(): void {
    if (this.#head?.length) this.emit(this.#head);
    this.#head = undefined;
    this.#arrived();
  }
}

export function runOnChannel(client: Client, command: string, opts: ChannelOptions = {}): Promise<ChannelResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    let stopped: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => stop(opts.signal?.reason);
    const onConnectionClose = () => stop(new ChannelLostError('the SSH connection closed before the command finished'));
    const cleanup = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      client.removeListener('close', onConnectionClose);
    };
    // The caller has given up. Once the channel is open (or failed to open), the remote process
    // group is killed, and only then does the promise reject: the command is over when it does.
    let giveUp: ((err: Error) => void) | undefined;
    const stop = (err: Error) => {
      if (stopped) return;
      stopped = err;
      cleanup();
      giveUp?.(err);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    client.once('close', onConnectionClose);
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => stop(new ChannelTimeoutError(opts.timeoutMs!)), opts.timeoutMs);

    const started = (err: Error | undefined, ch: ClientChannel) => {
      if (err) {
        cleanup();
        return reject(stopped ?? err);
      }
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      const lines = {
        stdout: new LineSplitter((l) => opts.onLine?.(l, 'stdout')),
        stderr: new LineSplitter((l) => opts.onLine?.(l, 'stderr')),
      };
      const pid = new PidReader((b) => {
        out.push(b);
        if (opts.onLine) lines.stdout.push(b);
      });
      let code: number | null | undefined;
      let sig: string | undefined;
      let finished = false;
      ch.on('data', (b: Buffer) => pid.push(b));
      ch.stderr.on('data', (b: Buffer) => {
        errOut.push(b);
        if (opts.onLine) lines.stderr.push(b);
      });
      ch.on('exit', (c: number | null, s?: string) => {
        code = c;
        sig = s ?? undefined;
      });
      ch.on('close', () => {
        pid.end();
        if (stopped || finished) return;
        finished = true;
        cleanup();
        if (code === undefined) return reject(new ChannelLostError('the remote command ended without an exit status'));
        if (opts.onLine) {
          lines.stdout.flush();
          lines.stderr.flush();
        }
        resolve({
          exitCode: code ?? 128 + (sig ? (signalNumber(sig) ?? 0) : 0),
          signal: sig,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errOut).toString('utf8'),
        });
      });
      giveUp = (reason) => {
        if (finished) return;
        finished = true;
        // Stopped right after it started, the command may not have reported its pid yet.
        void Promise.race([pid.done, delay(PID_WAIT_MS)])
          .then(() => (pid.pid === undefined ? undefined : killGroup(client, pid.pid)))
          .finally(() => {
            ch.close();
            reject(reason);
          });
      };
      if (stopped) giveUp(stopped);
    };
    try {
      client.exec(`echo '${PID_MARKER.toString('latin1')}'$$; ${command}`, started);
    } catch (e) {
      cleanup();
      reject(e);
    }
  });
}
