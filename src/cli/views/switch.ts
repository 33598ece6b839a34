import { shortSha } from '../../core/image-ref.js';
import type { SwitchPlan } from '../../planners/switch.js';
import type { Report } from '../command.js';

// What switch and rollback print once applied (or found nothing to change).

export function switchReport(plan: SwitchPlan): Report {
  const f = plan.facts;
  const changed = plan.steps.length > 0;
  const hosts = f.hosts.map((h) => h.host).join(', ');
  return {
    text: changed
      ? `${shortSha(f.revision)} is live on ${hosts} (verified; was ${f.live ? shortSha(f.live) : 'none'})`
      : `${shortSha(f.revision)} was already live on ${hosts}; nothing changed`,
    json: { command: f.action, revision: f.revision, previous: f.live, changed, hosts: f.hosts.map((h) => h.host), planHash: f.planHash, forcedReason: f.forcedReason ?? null },
  };
}
