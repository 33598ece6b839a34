import { classifyChanges, type Classification, type RawChange } from '../core/changes/classify.js';
import type { Config } from '../core/config/schema.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { GitPort } from '../ports/git.js';

export interface ChangeFacts {
  from: string;
  to: string;
  changes: RawChange[];
}

export async function gatherChangeFacts(git: Pick<GitPort, 'resolve' | 'diff'>, fromRev: string, toRev: string): Promise<ChangeFacts> {
  const [from, to] = await Promise.all([git.resolve(fromRev), git.resolve(toRev)]);
  return { from, to, changes: from === to ? [] : await git.diff(from, to) };
}

export interface ChangesResult extends Classification {
  from: string;
  to: string;
}

export function classify(config: Config, facts: ChangeFacts): ChangesResult {
  return { from: facts.from, to: facts.to, ...classifyChanges(facts.changes, config.changes) };
}

/** `deployer changes` reads only: its plan has no steps, its facts are the classification. */
export function planChanges(result: ChangesResult): Plan {
  return makePlan('changes', `changes ${result.from.slice(0, 12)}..${result.to.slice(0, 12)}  (class: ${result.class})`, {
    from: result.from,
    to: result.to,
    class: result.class,
    files: result.files.map(fileJson),
  }, []);
}

export function fileJson(f: Classification['files'][number]) {
  return { path: f.path, status: f.status, class: f.class, ...(f.oldPath !== undefined ? { oldPath: f.oldPath } : {}) };
}
