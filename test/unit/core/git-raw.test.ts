import { describe, expect, it } from 'vitest';
import { parseRawDiff } from '../../../src/core/changes/git-raw.js';

const Z = '0'.repeat(40);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('parseRawDiff', () => {
  it('parses every status, keeps odd path bytes verbatim and reads renames as old → new', () => {
    const out = [
      `:000000 100644 ${Z} ${A} A`, 'new file.txt',
      `:100644 100755 ${A} ${A} M`, 'script/run.sh',
      `:100644 000000 ${A} ${Z} D`, 'gone "quoted".pm',
      `:100644 100644 ${A} ${B} R087`, 'lib/Old.pm', 'lib/New.pm',
      `:100644 120000 ${A} ${B} T`, 'link',
      '',
    ].join('\0');
    expect(parseRawDiff(out)).toEqual([
      { status: 'added', path: 'new file.txt', oldMode: '000000', newMode: '100644' },
      { status: 'modified', path: 'script/run.sh', oldMode: '100644', newMode: '100755' },
      { status: 'deleted', path: 'gone "quoted".pm', oldMode: '100644', newMode: '000000' },
      { status: 'renamed', path: 'lib/New.pm', oldPath: 'lib/Old.pm', oldMode: '100644', newMode: '100644' },
      { status: 'typechange', path: 'link', oldMode: '100644', newMode: '120000' },
    ]);
  });

  it('returns nothing for an empty diff and refuses garbage', () => {
    expect(parseRawDiff('')).toEqual([]);
    expect(() => parseRawDiff('not a record\0x\0')).toThrow(/unexpected git diff/);
  });
});
