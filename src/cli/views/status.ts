import { shortDigest, shortSha } from '../../core/image-ref.js';
import type { EnvironmentTested, Status } from '../../planners/status.js';
import type { Report } from '../command.js';

// `deployer status`, human and JSON (the page renders the same Status: src/server/page.ts).

/** An age in seconds as the status text and the page show it: 90s, 12m, 5h, 3d. */
export function age(s: number | null): string {
  if (s === null) return '?';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export function describeTested(t: EnvironmentTested | null): string {
  if (!t) return '';
  if (t.error) return `tested: unknown (${t.error})`;
  return t.passed ? `tested: passed ${t.passedAt} by ${t.by}` : 'tested: no passing test-image record';
}

export function renderStatus(s: Status): string {
  const lines: string[] = [];
  lines.push(`live:            ${s.live ? shortSha(s.live) : s.drift.length ? 'unknown (drift, see below)' : 'nothing yet'}${!s.live && s.historyLive ? `  (history: ${shortSha(s.historyLive)})` : ''}`);
  lines.push(`rollback target: ${s.rollbackTarget ? shortSha(s.rollbackTarget) : '(none)'}`);
  lines.push('environments:');
  if (s.environments.length === 0) lines.push('  (none)');
  for (const e of s.environments) {
    const tags = [e.live ? 'live' : '', e.rollbackTarget ? 'rollback target' : ''].filter(Boolean).join(', ');
    lines.push(`  ${e.live ? '*' : ' '} ${e.sha12}  ${e.healthy}/${e.instances} healthy  age ${age(e.ageSeconds).padEnd(4)}  ${e.previewUrl ?? (e.previewEntry === false ? `no preview entry (\`deployer deploy ${e.sha12}\` writes it)` : '')}${tags ? `  (${tags})` : ''}`);
    if (e.digest || e.tested) lines.push(`      ${e.digest ? `digest ${shortDigest(e.digest)}  ` : ''}${describeTested(e.tested)}`);
  }
  lines.push('hosts:');
  for (const h of s.hosts) lines.push(`  ${h.host}:${h.file}  ${h.exists ? (h.revision ? shortSha(h.revision) : 'unknown revision') : 'no file'}${h.exists && !h.matchesEnvironment ? '  (matches no environment)' : ''}`);
  lines.push(s.drift.length ? 'drift:' : 'drift:           none');
  for (const d of s.drift) lines.push(`  ${d}`);
  if (s.hosts.length === 0) lines.push('  (none: no switch section in the config)');
  lines.push(`lock:            ${s.lock.held ? `${s.lock.location} ${s.lock.description}` : 'not held'}`);
  return lines.join('\n');
}

export function statusReport(status: Status): Report {
  return { text: renderStatus(status), json: { command: 'status', ...status } };
}
