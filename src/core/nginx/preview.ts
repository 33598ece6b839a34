import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { isFullSha, shortSha } from '../image-ref.js';
import type { PreviewUpdateStep } from '../steps/switch.js';
import { resolveSwitchHosts, stateLocation, type ResolvedHost } from '../switch/hosts.js';
import type { Backend } from '../../ports/scheduler.js';
import { displayArgv, planTest, stagedPath } from './test-config.js';
import { sortBackends } from './upstream.js';
import { assertSafeBackends, backendAddress, isDnsName } from './validate.js';

// Preview hostnames: `<sha12>.<preview.domain>` reaches that environment and nothing else. The file
// starts with a catch-all for the whole preview domain that answers 404, so a mistyped or removed
// hostname never falls through to production (and, being first, it is also the default server of a
// listen socket that only preview uses).

export interface PreviewEntry {
  revision: string;
  backends: Backend[];
}

export interface PreviewSettings {
  app: string;
  domain: string;
  listen: string;
}

const LISTEN = /^(\d{1,5}|(\d{1,3}\.){3}\d{1,3}:\d{1,5}|\[[0-9A-Fa-f:.]+\]:\d{1,5}|\*:\d{1,5}|[A-Za-z0-9.-]+:\d{1,5})$/;

export function listenProblem(listen: string): string | undefined {
  if (!LISTEN.test(listen)) return `should be a port or address:port (like 80 or 127.0.0.1:8080), got ${JSON.stringify(listen)}`;
  const port = Number(/(\d+)$/.exec(listen)![1]);
  return port >= 1 && port <= 65535 ? undefined : `port ${port} is out of range 1-65535`;
}

export function previewHostname(domain: string, revision: string): string {
  return `${shortSha(revision)}.${domain}`;
}

function listenParts(listen: string): { address?: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(listen)!;
  return { ...(m[1] !== undefined ? { address: m[1] } : {}), port: Number(m[2]) };
}

/** What a person types: `http://3f2a9c1e0b7d.preview.example.com[:8080]/`. */
export function previewUrl(settings: Pick<PreviewSettings, 'domain' | 'listen'>, revision: string): string {
  const { port } = listenParts(settings.listen);
  return `http://${previewHostname(settings.domain, revision)}${port === 80 ? '' : `:${port}`}/`;
}

/** Where deployer itself reaches a host's preview listener to verify (the Host header selects the entry). */
export function previewProbeBase(listen: string, host: ResolvedHost): string {
  const { address, port } = listenParts(listen);
  let target: string;
  if (host.ssh) target = host.ssh.host;
  else if (address === undefined || address === '*' || address === '0.0.0.0') target = '127.0.0.1';
  else if (address === '[::]') target = '[::1]';
  else target = address;
  return `http://${target}:${port}/`;
}

/**
 * The URL deployer GETs (with the preview hostname as Host) to see that a preview serves its
 * revision: the same path as the switch's verification, since many apps send the revision header
 * only there (`/version`), not on `/`; `preview.verifyPath` overrides it.
 */
export function previewProbeUrl(listen: string, host: ResolvedHost, verifyPath: string | undefined): string {
  const u = new URL(host.verify.url);
  return `${previewProbeBase(listen, host).replace(/\/$/, '')}${verifyPath ?? `${u.pathname}${u.search}`}`;
}

function upstreamName(app: string, revision: string): string {
  return `preview_${app.replace(/-/g, '_')}_${shortSha(revision)}`;
}

/** Renders the whole preview file; throws (exit 4) before producing text from an unsafe backend. */
export function renderPreview(settings: PreviewSettings, entries: readonly PreviewEntry[]): string {
  const problem = listenProblem(settings.listen);
  if (problem) throw new Error(`preview.listen ${problem}`);
  if (!isDnsName(settings.domain)) throw new Error(`invalid preview domain ${JSON.stringify(settings.domain)}`);
  const listen = settings.listen;
  const lines = [
    `# Managed by deployer (app ${settings.app}): preview hostnames, one server block per live environment.`,
    '# `deployer deploy`, `destroy` and `gc` rewrite this file. Do not edit.',
    '',
    `# Any other name under ${settings.domain}: 404, never production.`,
    'server {',
    `    listen ${listen};`,
    `    server_name .${settings.domain};`,
    '    return 404;',
    '}',
  ];
  const sorted = [...entries].sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
  for (const e of sorted) {
    if (!isFullSha(e.revision)) throw new Error(`invalid revision ${JSON.stringify(e.revision)}`);
    assertSafeBackends(e.backends, `environment ${shortSha(e.revision)}`);
    const up = upstreamName(settings.app, e.revision);
    lines.push(
      '',
      `# revision ${e.revision}`,
      `upstream ${up} {`,
      ...sortBackends(e.backends).map((b) => `    server ${backendAddress(b)};`),
      '}',
      'server {',
      `    listen ${listen};`,
      `    server_name ${previewHostname(settings.domain, e.revision)};`,
      '    location / {',
      `        proxy_pass http://${up};`,
      '        proxy_set_header Host $host;',
      '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '    }',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The revisions a preview file serves (from its revision comments). */
export function parsePreview(text: string): string[] {
  return [...text.matchAll(/^#\s*revision\s+([0-9a-f]{40})\s*$/gm)].map((m) => m[1]!);
}

/**
 * The step deploy/destroy/gc append to keep preview hostnames in line with the environments, or
 * undefined when previews are not configured (no `preview` section or no `previewFile`). Pure.
 */
export function planPreviewStep(
  config: Config,
  change: { add?: readonly string[]; remove?: readonly string[] },
  who = 'deployer',
): PreviewUpdateStep | undefined {
  const sw = config.switch;
  const preview = config.preview;
  if (!sw || !preview) return undefined;
  const problem = listenProblem(preview.listen);
  if (problem) throw new ConfigError('config', [{ path: 'preview/listen', message: problem }]);
  const hosts = resolveSwitchHosts(sw).filter((h) => h.previewFile);
  if (hosts.length === 0) return undefined;
  const add = [...(change.add ?? [])];
  const remove = [...(change.remove ?? [])];
  const state = stateLocation(sw, config.app, resolveSwitchHosts(sw));
  const names = [
    ...add.map((r) => `+${previewHostname(preview.domain, r)}`),
    ...remove.map((r) => `-${previewHostname(preview.domain, r)}`),
  ];
  const detail = [
    ...add.map((r) => `+ ${previewUrl(preview, r)}  -> environment ${shortSha(r)} (backends read after deploy)`),
    ...remove.map((r) => `- ${previewUrl(preview, r)}  (404 afterwards)`),
    ...hosts.map((h) => `  ${h.name}:${h.previewFile}: stage, test (${displayArgv(planTest(h.test, h.previewFile!, stagedPath(h.previewFile!)).argv)}), rename, reload (${displayArgv(h.reload)})`),
  ];
  return {
    id: `preview-${[...add.map((r) => `add-${shortSha(r)}`), ...remove.map((r) => `remove-${shortSha(r)}`)].join('-') || 'refresh'}`,
    kind: 'nginx.update-preview',
    title: `update preview hostnames ${names.join(' ') || '(refresh)'} on ${hosts.map((h) => h.name).join(', ')}`,
    detail,
    app: config.app,
    domain: preview.domain,
    listen: preview.listen,
    add,
    remove,
    hosts: hosts.map((h) => ({
      host: h.name,
      path: h.previewFile!,
      staged: stagedPath(h.previewFile!),
      test: planTest(h.test, h.previewFile!, stagedPath(h.previewFile!)),
      reload: h.reload,
      ...(/^unix:/.test(preview.listen) ? {} : { verifyUrl: previewProbeUrl(preview.listen, h, preview.verifyPath) }),
    })),
    lock: { host: state.host, path: state.lock, who },
    verifyTimeoutMs: sw.verify.timeoutSeconds * 1000,
    header: sw.verify.header,
  };
}
