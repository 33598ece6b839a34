import { fileJson, type ChangesResult } from '../../planners/changes.js';
import type { Report } from '../command.js';

// `deployer changes`: the class of the change and every path with its own class.

export function renderChanges(result: ChangesResult): string {
  const lines = [`${result.from.slice(0, 12)}..${result.to.slice(0, 12)}: ${result.class} (${result.files.length} file${result.files.length === 1 ? '' : 's'})`];
  for (const f of result.files) {
    const path = f.oldPath !== undefined ? `${f.oldPath} -> ${f.path}` : f.path;
    lines.push(`  ${f.class.padEnd(5)}  ${f.status.padEnd(10)}  ${path}`);
  }
  return lines.join('\n');
}

export function changesReport(result: ChangesResult): Report {
  return {
    text: renderChanges(result),
    json: { from: result.from, to: result.to, class: result.class, files: result.files.map(fileJson) },
  };
}
