import { join } from 'node:path';
import type { Plan } from '../core/plan.js';
import { appendEvent, EVENT_COMMANDS, type DeployEvent } from '../server/events.js';
import type { CommandEnv } from './command.js';
import { configPath } from './config-file.js';
import { whoAmI } from './who.js';

/** `--events <file>`, else `state.dir`/events.jsonl. */
export function eventsFile(env: Pick<CommandEnv, 'loaded' | 'globals'>): string {
  return env.globals.events ?? configPath(env.loaded, join(env.loaded.config.state.dir, 'events.jsonl'));
}

export function planEvent(plan: Plan, app: string, who: string, error?: unknown): DeployEvent {
  const f = plan.facts;
  const event: DeployEvent = {
    time: new Date().toISOString(),
    type: error === undefined ? plan.command : 'failure',
    app,
    revision: 'revision' in f && typeof f.revision === 'string' ? f.revision : null,
    previous: 'live' in f && typeof f.live === 'string' ? f.live : null,
    who,
  };
  if (error !== undefined) event.message = `${plan.command}: ${error instanceof Error ? error.message : String(error)}`;
  return event;
}

/**
 * Records an applied plan of an event command (or its failure). A broken events file must not turn
 * a finished switch into a failure: it is reported as a warning.
 */
export async function recordEvent(env: CommandEnv, plan: Plan, opts: { who?: string; error?: unknown } = {}): Promise<void> {
  if (!EVENT_COMMANDS.has(plan.command) || plan.steps.length === 0) return;
  try {
    await appendEvent(eventsFile(env), planEvent(plan, env.config.app, opts.who ?? whoAmI(), opts.error));
  } catch (e) {
    env.out.warn(`could not append to the events file ${eventsFile(env)}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
