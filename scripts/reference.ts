// docs/reference.md, generated: every command (from the commander definitions `deployer --help`
// prints), every config key (from the JSON Schema the loader's zod schema generates, with the value
// and comment deployer.example.yaml gives it), the environment variables and where state lives.
// `npm run reference` writes it; test/unit/reference.test.ts fails when the file is out of date.
//
//   npx tsx scripts/reference.ts          write docs/reference.md
//   npx tsx scripts/reference.ts --check  exit 1 if it is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { isCollection, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { buildProgram, EXIT_CODES_HELP } from '../src/cli/program.js';
import { configJsonSchema } from '../src/core/config/json-schema.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const REFERENCE_PATH = `${ROOT}docs/reference.md`;
const EXAMPLE_PATH = `${ROOT}deployer.example.yaml`;

/** Every variable deployer reads (test/unit/reference.test.ts checks src/ reads no other). */
export const ENVIRONMENT: readonly { name: string; meaning: string }[] = [
  { name: 'DEPLOYER_REGISTRY_USER', meaning: 'registry user (with DEPLOYER_REGISTRY_PASSWORD); overrides ~/.docker/config.json' },
  { name: 'DEPLOYER_REGISTRY_PASSWORD', meaning: 'registry password; redacted in every output' },
  { name: 'DOCKER_CONFIG', meaning: 'directory of the Docker CLI config.json whose `auths` give registry credentials (default ~/.docker)' },
  { name: 'DOCKER_HOST', meaning: 'the Docker engine (unix://, tcp://, ssh://); default /var/run/docker.sock' },
  { name: 'DEPLOYER_MARATHON_USER', meaning: 'Marathon basic auth user (with DEPLOYER_MARATHON_PASSWORD)' },
  { name: 'DEPLOYER_MARATHON_PASSWORD', meaning: 'Marathon basic auth password; redacted' },
  { name: 'DEPLOYER_MARATHON_TOKEN', meaning: 'DC/OS ACS token for Marathon, sent as `Authorization: token=…` (instead of basic auth); redacted' },
  { name: 'DEPLOYER_SSH_PASSPHRASE', meaning: 'passphrase of an encrypted SSH key (switch hosts, exec.ssh.keyFile); there is no prompt' },
  { name: 'SSH_AUTH_SOCK', meaning: 'ssh-agent offering keys to switch hosts without an identityFile' },
  { name: 'HOME', meaning: 'where ~/.ssh (keys, known_hosts) and ~/.docker are looked up' },
  { name: 'DEPLOYER_UI_TOKEN', meaning: '`deployer serve`: the token that allows switching from the web page (without it the page is read-only)' },
  { name: 'DEPLOYER_WHO', meaning: 'who is recorded in the history, locks and events (default USER@host, plus BUILD_TAG)' },
  { name: 'USER', meaning: 'the default for DEPLOYER_WHO' },
  { name: 'BUILD_TAG', meaning: "Jenkins' build tag, added to who is recorded" },
  { name: 'CI', meaning: 'set (any value): plain timestamped progress lines, no spinners, even on a TTY' },
  { name: 'NO_COLOR', meaning: 'set: no colour' },
  { name: 'TERM', meaning: '`dumb`: no spinners' },
];

/** What deployer sets inside the app's containers. */
export const CONTAINER_ENVIRONMENT: readonly { name: string; meaning: string }[] = [
  { name: 'DEPLOYER_REVISION', meaning: 'the full sha the environment runs (tests and environments)' },
  { name: 'PORT', meaning: 'deploy.port: where the app must listen inside the container' },
];

/** What deployer sets for the commands of `hooks:` (also as `{NAME}` placeholders in their argv). */
export const HOOK_ENVIRONMENT: readonly { name: string; meaning: string }[] = [
  { name: 'DEPLOYER_EVENT', meaning: 'the hook event: pre-deploy, post-deploy, pre-switch, post-switch, post-rollback, failed' },
  { name: 'DEPLOYER_COMMAND', meaning: 'the deployer command that runs the hook (deploy, switch, rollback)' },
  { name: 'DEPLOYER_APP', meaning: 'the `app` of the config' },
  { name: 'DEPLOYER_PREVIOUS', meaning: 'switch, rollback: the revision live before (empty when none)' },
  { name: 'DEPLOYER_DIGEST', meaning: 'the image digest, when the image reference names one' },
  { name: 'DEPLOYER_PREVIEW_URL', meaning: 'deploy: the preview URL, when `preview` is configured' },
  { name: 'DEPLOYER_ERROR', meaning: '`failed` hooks: the one-line message of the failure' },
];

const STATE = [
  ['test records', 'this machine', '`<state.dir>/test-records/<image id>.json`', 'test-image writes one per passing image; switch refuses an image without one'],
  ['events', 'this machine', '`<state.dir>/events.jsonl` (or `--events <file>`)', 'one JSON line per applied deploy, switch, rollback, destroy and failure'],
  ['switch lock', 'the first switch host', '`<switch.stateDir>/<app>/lock` (a directory)', 'held while a switch or rollback runs; `deployer lock release` removes a stale one'],
  ['switch history', 'the first switch host', '`<switch.stateDir>/<app>/history.jsonl`', 'every switch and rollback; `deployer history`, the live revision and the rollback target'],
  ['staged nginx files', 'every switch host', '`.<file>.deployer-staged` beside `switch.file` (and shadow configs `.<name>.deployer-test`)', 'written, tested and renamed or removed within a switch'],
] as const;

// ---------------------------------------------------------------- commands

function usage(cmd: Command): string {
  const args = cmd.registeredArguments.map((a) => {
    const n = `${a.name()}${a.variadic ? '...' : ''}`;
    return a.required ? `<${n}>` : `[${n}]`;
  });
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return ['deployer', ...names, ...(cmd.options.length ? ['[options]'] : []), ...args].join(' ');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ').trim();
const code = (s: string) => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
const shown = (v: unknown) => (v === undefined || v === false ? '' : code(typeof v === 'string' ? v : JSON.stringify(v)));

function commandSection(cmd: Command, out: string[]): void {
  for (const sub of cmd.commands) {
    if (sub.commands.length === 0 || sub.registeredArguments.length || sub.options.length) {
      out.push(`### \`${usage(sub)}\``, '', cell(sub.description()), '');
      if (sub.registeredArguments.length) {
        out.push('| argument | meaning | default |', '|---|---|---|');
        for (const a of sub.registeredArguments) out.push(`| \`${a.name()}\` | ${cell(a.description)} | ${shown(a.defaultValue)} |`);
        out.push('');
      }
      if (sub.options.length) {
        out.push('| option | meaning | default |', '|---|---|---|');
        for (const o of sub.options) out.push(`| \`${o.flags}\` | ${cell(o.description)} | ${shown(o.defaultValue)} |`);
        out.push('');
      }
    }
    commandSection(sub, out);
  }
}

// ---------------------------------------------------------------- config keys

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  additionalProperties?: JsonSchema | boolean;
}

export interface KeyRow {
  path: string;
  /** Shown only commented out in the example (`# keyFile: ...`). */
  commented: boolean;
  type: string;
  required: boolean;
  default: unknown;
  rule: string;
  example: unknown;
  comment: string;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf) return [...new Set(s.anyOf.map(typeOf))].join(' \\| ');
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  if (s.type === 'array') {
    const item = s.items ? typeOf(s.items) : 'any';
    return `list of ${item.includes('|') ? `(${item})` : item}`;
  }
  if (s.type === 'object' && !s.properties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
  return s.type ?? 'any';
}

function ruleOf(s: JsonSchema): string {
  const r: string[] = [];
  if (s.pattern) r.push(`matches ${code(s.pattern)}`);
  // zod writes MAX_SAFE_INTEGER as the maximum of every .int(): no bound a person set.
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  if (s.minimum !== undefined && max !== undefined) r.push(`${s.minimum}–${max}`);
  else if (s.minimum !== undefined) r.push(`≥ ${s.minimum}`);
  else if (max !== undefined) r.push(`≤ ${max}`);
  if (s.minLength) r.push('not empty');
  if (s.minItems) r.push(`at least ${s.minItems}`);
  if (s.type === 'array' && s.items?.minLength) r.push('entries not empty');
  return r.join(', ');
}

/** Objects a value may be (itself, its anyOf variants, its list items' variants), to describe their keys. */
function objectsOf(s: JsonSchema): JsonSchema[] {
  if (s.properties) return [s];
  if (s.anyOf) return s.anyOf.flatMap(objectsOf);
  return [];
}

interface ExampleFacts {
  doc: Document;
  comments: Map<string, string>;
  commented: Map<string, CommentedKey>;
}

function keyRows(s: JsonSchema, prefix: string[], example: ExampleFacts, out: Map<string, KeyRow>): void {
  for (const obj of objectsOf(s)) {
    for (const [key, child] of Object.entries(obj.properties ?? {})) {
      const path = [...prefix, key];
      const id = path.join('/');
      if (!out.has(id)) {
        const node = path.includes('*') ? undefined : example.doc.getIn(path, true);
        const commented = node === undefined && !path.includes('*') ? example.commented.get(key) : undefined;
        out.set(id, {
          path: id,
          commented: commented !== undefined,
          type: typeOf(child),
          required: (obj.required ?? []).includes(key),
          default: child.default,
          rule: ruleOf(child),
          example: commented ? commented.value : node,
          comment: example.comments.get(id) ?? commented?.comment ?? '',
        });
      }
      keyRows(child, path, example, out);
      const items = child.type === 'array' ? child.items : undefined;
      if (items) keyRows(items, [...path, '*'], example, out);
    }
  }
}

/** A comment line that is commented-out YAML (`- { ... }`, `key: value`), not prose. */
const yamlish = (line: string) => /^\s*(- |[\w./]+:\s|[\w./]+:$)/.test(line);

function prose(text: string | null | undefined): string {
  if (!text) return '';
  const para = text.split(/\n\s*\n/).pop() ?? '';
  const lines = para.split('\n');
  return lines.some(yamlish) ? '' : lines.map((l) => l.trim()).join(' ').replace(/,? e\.g\.$/, '').trim();
}

export interface CommentedKey {
  value: string;
  comment: string;
}

/**
 * Keys the example shows commented out (`# keyFile: ./ci/id_ed25519   # private key ...`): the value,
 * and the comment after it with the lines continuing it (comment-only lines whose `#` is in the same
 * column).
 */
export function commentedKeys(exampleText: string): Map<string, CommentedKey> {
  const out = new Map<string, CommentedKey>();
  const lines = exampleText.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*#\s*(?:\w+\/)?([\w-]+):\s+(.*)$/.exec(line);
    if (!m || out.has(m[1]!)) return;
    const rest = m[2]!;
    const hash = rest.indexOf('# ');
    const [value, first] = hash >= 0 ? [rest.slice(0, hash), rest.slice(hash + 2)] : rest.split(/\s{2,}/);
    const parts = [first ?? ''];
    const column = hash >= 0 ? line.length - rest.length + hash : -1;
    for (let j = i + 1; column >= 0 && j < lines.length; j++) {
      const next = lines[j]!;
      if (next.indexOf('#') !== column || next.slice(0, column).trim() !== '') break;
      parts.push(next.slice(column + 1));
    }
    out.set(m[1]!, { value: value!.trim(), comment: parts.map((x) => x.trim()).join(' ').trim() });
  });
  return out;
}

/** The comment deployer.example.yaml gives each key: the one on its line, else the block above it. */
function exampleComments(doc: Document): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (node: unknown, prefix: string[]) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const path = [...prefix, String(pair.key.value)];
      const value = pair.value;
      const inline = isScalar(value) || (isCollection(value) && value.flow) ? prose(value.comment) : '';
      const before = prose(pair.key.commentBefore);
      const text = [before, inline].filter(Boolean).join(' ');
      if (text) out.set(path.join('/'), text);
      walk(value, path);
    }
  };
  walk(doc.contents, []);
  return out;
}

export function configKeys(exampleText: string): KeyRow[] {
  const doc = parseDocument(exampleText);
  const rows = new Map<string, KeyRow>();
  keyRows(configJsonSchema() as JsonSchema, [], { doc, comments: exampleComments(doc), commented: commentedKeys(exampleText) }, rows);
  return [...rows.values()];
}

function exampleValue(node: unknown): string {
  if (node === undefined) return '';
  const json = JSON.stringify(isScalar(node) ? node.value : isCollection(node) ? node.toJSON() : node);
  return code(json.length > 60 ? `${json.slice(0, 57)}...` : json);
}

// ---------------------------------------------------------------- the document

export function renderReference(exampleText: string): string {
  const program = buildProgram(() => async () => {});
  const out: string[] = [
    '# deployer reference',
    '',
    '<!-- Generated by scripts/reference.ts (`npm run reference`) from the CLI definitions, the config',
    '     schema (docs/deployer.schema.json) and deployer.example.yaml. Do not edit by hand:',
    '     test/unit/reference.test.ts fails when this file is out of date. -->',
    '',
    'Every command, every `deployer.yaml` key, the environment variables deployer reads, and where it',
    'keeps its state. The README explains the flow; `deployer <command> --help` prints the same options.',
    '',
    '## Commands',
    '',
    `\`${usage(program).replace('deployer [options]', 'deployer [global options] <command>')}\``,
    '',
    '| global option | meaning | default |',
    '|---|---|---|',
    ...program.options.map((o) => `| \`${o.flags}\` | ${cell(o.description)} | ${shown(o.defaultValue)} |`),
    '',
  ];
  commandSection(program, out);
  out.push('### Exit codes', '', '```', EXIT_CODES_HELP.trim(), '```', '');

  out.push(
    '## Configuration keys',
    '',
    'Paths are written as in config errors (`switch/hosts/*/ssh`: `*` is any entry of a list).',
    'Relative paths are relative to the config file. "example" is the value deployer.example.yaml',
    'gives, "comment" its comment there.',
    '',
  );
  const rows = configKeys(exampleText);
  for (const section of [...new Set(rows.map((r) => r.path.split('/')[0]!))]) {
    out.push(`### \`${section}\``, '', '| key | type | required | default | rule | example | comment |', '|---|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.path === section || x.path.startsWith(`${section}/`))) {
      const example = r.commented ? `${code(String(r.example))} (commented out)` : exampleValue(r.example);
      out.push(`| \`${r.path}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${shown(r.default)} | ${r.rule} | ${example} | ${cell(r.comment)} |`);
    }
    out.push('');
  }

  out.push('## Environment variables', '', '| variable | meaning |', '|---|---|');
  for (const e of ENVIRONMENT) out.push(`| \`${e.name}\` | ${cell(e.meaning)} |`);
  out.push('', 'Set by deployer inside the app\'s test and environment containers:', '', '| variable | meaning |', '|---|---|');
  for (const e of CONTAINER_ENVIRONMENT) out.push(`| \`${e.name}\` | ${cell(e.meaning)} |`);
  out.push('', 'Hooks (`hooks:`) get, besides DEPLOYER_REVISION and DEPLOYER_WHO:', '', '| variable | value |', '|---|---|');
  for (const e of HOOK_ENVIRONMENT) out.push(`| \`${e.name}\` | ${cell(e.meaning)} |`);
  out.push('', '## Where state lives', '', '| what | where | path | |', '|---|---|---|---|');
  for (const [what, where, path, why] of STATE) out.push(`| ${what} | ${where} | ${path} | ${why} |`);
  out.push('');
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderReference(readFileSync(EXAMPLE_PATH, 'utf8'));
  if (process.argv.includes('--check')) {
    const current = readFileSync(REFERENCE_PATH, 'utf8');
    if (current !== text) {
      process.stderr.write('docs/reference.md is out of date: run npm run reference\n');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(REFERENCE_PATH, text);
    process.stdout.write(`wrote ${REFERENCE_PATH}\n`);
  }
}
