import { readDockerfile } from './dockerfile.js';
import { detectStack } from './stacks.js';

// `deployer init`: from what a repository holds to a commented deployer.yaml. Pure: the command
// gathers the facts (src/cli/commands/init.ts).

export const SCHEMA_URL = 'https://raw.githubusercontent.com/deployer/deployer/main/docs/deployer.schema.json';

export interface InitFacts {
  /** The repository's directory name. */
  dirName: string;
  /** Top-level file names of the repository. */
  files: ReadonlySet<string>;
  /** package.json's text, when there is one. */
  packageJson?: string;
  dockerfile?: string;
  /** Where the schema line points (a relative path when the schema file is beside the config). */
  schemaRef?: string;
}

/** Lowercase letters, digits and dashes, as `app` requires. */
export function appName(facts: InitFacts): string {
  let raw = facts.dirName;
  if (facts.packageJson) {
    try {
      const name = (JSON.parse(facts.packageJson) as { name?: unknown }).name;
      if (typeof name === 'string' && name) raw = name.replace(/^@[^/]+\//, '');
    } catch {
      // a broken package.json is the app's business; the directory name will do
    }
  }
  const clean = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-');
  return /^[a-z]/.test(clean) ? clean : `app-${clean || 'x'}`.replace(/-$/, '');
}

const q = (s: string) => JSON.stringify(s);

export function renderInitConfig(facts: InitFacts): string {
  const app = appName(facts);
  const df = facts.dockerfile ? readDockerfile(facts.dockerfile) : {};
  const appDir = df.appDir ?? '/app';
  const port = df.port ?? 8000;
  const stack = detectStack(facts.files);
  const infra = ['Dockerfile', '.dockerignore', ...['docker/**', 'config/nginx/**', 'supervisor/**'].filter((g) => facts.files.has(g.split('/')[0]!))];
  const depsDir = stack ? (stack.depsDir.startsWith('/') ? stack.depsDir : `${appDir.replace(/\/$/, '')}/${stack.depsDir}`) : undefined;
  const lines = [
    `# yaml-language-server: $schema=${facts.schemaRef ?? SCHEMA_URL}`,
    '# deployer.yaml, written by `deployer init`. Every key is documented in deployer.example.yaml.',
    `# Guessed from this repository: ${facts.dockerfile ? `Dockerfile (${df.appDir ? `app dir ${df.appDir}` : 'no WORKDIR: /app assumed'}${df.port ? `, EXPOSE ${df.port}` : ''})` : 'no Dockerfile found (full-build needs one)'}${stack ? `, ${stack.name} (${stack.lockfile})` : ', no lockfile of a known stack'}.`,
    '',
    `app: ${app}`,
    '',
    '# Uncomment to push images (and to keep test records in the registry).',
    '# registry:',
    '#   host: registry.example.com:5000',
    '',
    'images:',
    `  full: ${app}-full     # <full>:<sha> and <full>:latest, from full-build`,
    `  delta: ${app}         # <delta>:<sha>, from delta-build`,
    '',
    'build:',
    '  context: .',
    '  dockerfile: Dockerfile',
    `  appDir: ${q(appDir)}   # where the Dockerfile copies the repository`,
    '',
    'changes:',
    `  infra: [${infra.map(q).join(', ')}]   # a change here needs a full build`,
    `  deps: [${(stack?.deps ?? []).map(q).join(', ')}]`,
    ...(stack && depsDir ? [
      `  depsDir: ${q(depsDir)}   # removed, then rebuilt by depsInstall`,
      `  depsInstall: ${q(`cd ${appDir} && ${stack.install}`)}`,
    ] : ['  # depsDir: /app/deps', '  # depsInstall: "cd /app && <install command>"']),
    '  ignore: ["README*", "docs/**"]   # never hides infra or deps',
    '',
    'deploy:',
    '  scheduler: docker   # the local engine; marathon needs deploy.marathon',
    '  instances: 2',
    `  port: ${port}`,
    '  healthCheck: { path: /, intervalSeconds: 2, timeoutSeconds: 2, gracePeriodSeconds: 10, maxConsecutiveFailures: 3 }',
    '',
    '# Uncomment once nginx includes the upstream file (see the README, "Switching").',
    '# switch:',
    '#   upstream: backend',
    `#   file: /etc/nginx/conf.d/${app}-upstream.conf`,
    '#   verify: { url: "http://127.0.0.1/", header: X-Revision }',
    '',
  ];
  return lines.join('\n');
}
