// What `deployer init` knows about common stacks: the files that mean "reinstall the deps dir",
// the install command the image needs for them, and where the installed deps live (relative to the
// app dir). The first lockfile found decides; a repo with several stacks gets the first in this list.

export interface Stack {
  name: string;
  /** The lockfile whose presence selects this stack. */
  lockfile: string;
  /** `changes.deps` globs: the manifest and the lockfile. */
  deps: string[];
  /** `changes.depsInstall`, run in the app dir. */
  install: string;
  /** Installed dependencies, relative to the app dir (`changes.depsDir`). */
  depsDir: string;
}

export const STACKS: readonly Stack[] = [
  { name: 'npm', lockfile: 'package-lock.json', deps: ['package.json', 'package-lock.json'], install: 'npm ci --omit=dev', depsDir: 'node_modules' },
  { name: 'yarn', lockfile: 'yarn.lock', deps: ['package.json', 'yarn.lock'], install: 'yarn install --frozen-lockfile --production', depsDir: 'node_modules' },
  { name: 'pnpm', lockfile: 'pnpm-lock.yaml', deps: ['package.json', 'pnpm-lock.yaml'], install: 'pnpm install --frozen-lockfile --prod', depsDir: 'node_modules' },
  { name: 'bundler', lockfile: 'Gemfile.lock', deps: ['Gemfile', 'Gemfile.lock'], install: 'bundle config set --local path vendor/bundle && bundle install', depsDir: 'vendor/bundle' },
  { name: 'carton', lockfile: 'cpanfile.snapshot', deps: ['cpanfile', 'cpanfile.snapshot'], install: 'carton install --deployment', depsDir: 'local' },
  { name: 'poetry', lockfile: 'poetry.lock', deps: ['pyproject.toml', 'poetry.lock'], install: 'poetry install --no-root --only main', depsDir: '.venv' },
  { name: 'pip', lockfile: 'requirements.txt', deps: ['requirements.txt'], install: 'pip install --target .deps -r requirements.txt', depsDir: '.deps' },
  { name: 'go modules', lockfile: 'go.sum', deps: ['go.mod', 'go.sum'], install: 'go mod download', depsDir: '/root/go/pkg/mod' },
  { name: 'composer', lockfile: 'composer.lock', deps: ['composer.json', 'composer.lock'], install: 'composer install --no-dev', depsDir: 'vendor' },
];

/** The stack of a repo from its top-level files, or undefined (then every change is code or infra). */
export function detectStack(files: ReadonlySet<string>): Stack | undefined {
  return STACKS.find((s) => files.has(s.lockfile));
}
