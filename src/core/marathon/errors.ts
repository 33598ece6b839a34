// Marathon's error bodies across versions (docs/marathon-api.md §6), turned into lines for a person.

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{message}` when there is one, else a snippet of the raw body (leader-proxy errors are HTML or text). */
export function errorMessage(body: unknown, raw = ''): string {
  if (isObject(body) && typeof body.message === 'string') return body.message;
  const text = raw.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * 422 (and 400) validation details as `path: error` lines. 1.0+: `details[{path, errors[]}]`;
 * 0.15: `details[{attribute, error}]`; ≤0.11: `errors[{attribute, error}]`; malformed JSON: a string.
 */
export function fieldErrors(body: unknown): string[] {
  if (!isObject(body)) return [];
  const list = Array.isArray(body.details) ? body.details : Array.isArray(body.errors) ? body.errors : undefined;
  if (typeof body.details === 'string') return [body.details];
  if (!list) return [];
  const lines: string[] = [];
  for (const d of list) {
    if (!isObject(d)) continue;
    const path = typeof d.path === 'string' ? d.path : typeof d.attribute === 'string' ? d.attribute : '(app)';
    const errors = Array.isArray(d.errors) ? d.errors.map(String) : typeof d.error === 'string' ? [d.error] : [];
    lines.push(`${path || '/'}: ${errors.join('; ') || 'is not valid'}`);
  }
  return lines;
}

/** Ids in a 409 "App is locked by one or more deployments" body (the message itself holds a literal placeholder). */
export function lockingDeployments(body: unknown): string[] {
  if (!isObject(body) || !Array.isArray(body.deployments)) return [];
  return body.deployments.flatMap((d) => (isObject(d) && typeof d.id === 'string' ? [d.id] : []));
}

export interface MarathonDeployment {
  id: string;
  version?: string;
  affectedApps?: string[];
  currentStep?: number;
  totalSteps?: number;
  currentActions?: { action?: string; type?: string; app?: string }[];
  steps?: unknown;
}

/** `5ed4c0c5-… started 2015-09-30T09:09:17.614Z, step 1/1: StartApplication /web-app/3f2a9c1e0b7d` */
export function describeDeployment(d: MarathonDeployment): string {
  const actions = (d.currentActions ?? []).map((a) => `${a.action ?? a.type ?? '?'}${a.app ? ` ${a.app}` : ''}`).join(', ');
  const step = d.currentStep !== undefined && d.totalSteps !== undefined ? `step ${d.currentStep}/${d.totalSteps}` : '';
  const apps = !actions && d.affectedApps?.length ? `affects ${d.affectedApps.join(', ')}` : '';
  const when = d.version ? ` started ${d.version}` : '';
  return `${d.id}${when}${[step && actions ? `${step}: ${actions}` : step || actions, apps].filter(Boolean).map((s) => `, ${s}`).join('')}`;
}
