import { readFileSync } from 'node:fs';

// Is a process on this machine still the one that took a lock? A pid alone can be reused, so the
// kernel's start time (/proc/<pid>/stat field 22) is recorded with it where Linux provides it.

export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number, pidStart?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStartTime(pid);
  // A zombie (reaped late) is dead; with /proc, the start time must match the recorded one.
  if (start === undefined) return !existsProc(pid);
  return pidStart === undefined || start === pidStart;
}

function existsProc(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}
