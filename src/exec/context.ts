import type { Config } from '../core/config/schema.js';
import type { Ports } from '../ports/index.js';
import type { Results } from './results.js';

// What a step handler receives. `results` carries values only known during apply (a container id
// made by one step and committed by the next), under typed keys (results.ts); the plan never needs them.
export interface ExecContext {
  config: Config;
  ports: Ports;
  signal: AbortSignal;
  /** Registers cleanup that runs on every exit path (success, failure, interrupt), last-in first-out. */
  defer(what: string, fn: () => Promise<void>): void;
  /** Registers work that runs only when a later step fails (not on interrupt), before the cleanups. */
  onFailure(what: string, fn: (error: unknown) => Promise<void>): void;
  results: Results;
}
