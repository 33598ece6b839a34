import { UsageError } from '../errors.js';

// `--if-older-than 24h`: a sum of number+unit parts (1h30m, 2d, 45s, 1w).

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)([smhdw])/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (s === '' || consumed !== s.length || total <= 0) {
    throw new UsageError(`invalid duration ${JSON.stringify(text)}`, { hint: 'use a number and a unit: 30m, 24h, 7d, 1h30m (units s m h d w)' });
  }
  return total;
}

export function formatAge(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${Math.round(abs / 1000)}s`;
  if (abs < 3_600_000) return `${Math.round(abs / 60_000)}m`;
  if (abs < 86_400_000) {
    const h = Math.floor(abs / 3_600_000);
    const m = Math.round((abs % 3_600_000) / 60_000);
    return m ? `${h}h${m}m` : `${h}h`;
  }
  const d = Math.floor(abs / 86_400_000);
  const h = Math.round((abs % 86_400_000) / 3_600_000);
  return h ? `${d}d${h}h` : `${d}d`;
}
