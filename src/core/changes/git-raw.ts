import type { ChangeStatus, RawChange } from './classify.js';

// Parses `git diff --raw -z -M --no-abbrev`: records of
//   :<oldmode> <newmode> <oldsha> <newsha> <status>[score] NUL <path> NUL [<newpath> NUL]
// -z keeps paths verbatim (no quoting of spaces, quotes or non-ASCII names).

const STATUS: Record<string, ChangeStatus> = {
  A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'typechange',
};

export function parseRawDiff(out: string): RawChange[] {
  const parts = out.split('\0');
  const changes: RawChange[] = [];
  let i = 0;
  while (i < parts.length) {
    const header = parts[i];
    if (header === undefined || header === '') {
      i++;
      continue;
    }
    if (!header.startsWith(':')) throw new Error(`unexpected git diff --raw record: ${JSON.stringify(header.slice(0, 80))}`);
    const [oldMode, newMode, , , statusField] = header.slice(1).split(' ');
    const letter = (statusField ?? '').charAt(0);
    const status = STATUS[letter];
    if (!status) throw new Error(`unknown git diff status ${JSON.stringify(statusField)}`);
    if (status === 'renamed' || status === 'copied') {
      const from = parts[i + 1] ?? '';
      const to = parts[i + 2] ?? '';
      changes.push({ status, path: to, oldPath: from, oldMode, newMode });
      i += 3;
    } else {
      changes.push({ status, path: parts[i + 1] ?? '', oldMode, newMode });
      i += 2;
    }
  }
  return changes;
}
