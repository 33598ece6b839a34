import type { Config } from '../core/config/schema.js';
import { parsePreview, planPreviewStep } from '../core/nginx/preview.js';
import { resolveSwitchHosts } from '../core/switch/hosts.js';
import type { LbHosts } from '../ports/lb-hosts.js';
import type { Step } from '../core/steps/index.js';
import { protectedByHistory } from '../core/switch/history.js';
import type { HistoryPort } from '../ports/history.js';

// Where deploy, destroy and gc meet the switch capability: the preview file update they plan, and
// the history that names what must never be removed.

/**
 * The step that keeps `<sha12>.<preview.domain>` hostnames in line with the environments: `add` for
 * a new environment (its backends are read at apply time), `remove` for ones going away. None when
 * previews are not configured.
 */
export function planPreview(config: Config, change: { add?: readonly string[]; remove?: readonly string[] }, who: string): Step[] {
  const step = planPreviewStep(config, change, who);
  return step ? [step] : [];
}

/** The live revision and the rollback target, which gc and destroy never remove. */
export type Protected = ReturnType<typeof protectedByHistory>;

/** Without a switch section nothing was ever switched, so nothing is live: pass undefined then. */
export async function readProtected(history: Pick<HistoryPort, 'read'> | undefined): Promise<Protected> {
  return history ? protectedByHistory(await history.read()) : {};
}

/**
 * The revisions every switch host's preview file has an entry for (a missing file has none), or
 * undefined when previews are not configured. "Deployed" is not "previewed": a deploy interrupted
 * or failed during the preview update leaves a healthy environment without its entry.
 */
export async function readPreviewed(lb: Pick<LbHosts, 'get'>, config: Config): Promise<string[] | undefined> {
  if (!config.switch || !config.preview) return undefined;
  const hosts = resolveSwitchHosts(config.switch).filter((h) => h.previewFile);
  if (hosts.length === 0) return undefined;
  const perHost = await Promise.all(hosts.map(async (h) => parsePreview((await lb.get(h.name).read(h.previewFile!))?.content.toString('utf8') ?? '')));
  return perHost.reduce((all, revs) => all.filter((r) => revs.includes(r)));
}
