// Throwaway git repositories with a fixed identity, isolated from the machine's git config.
import { chmod, lstat, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { execa } from 'execa';
import { tmpDir } from './tmp.js';

export type RepoFile = string | { content: string; mode?: number } | { symlink: string };
export type RepoFiles = Record<string, RepoFile>;

export interface RepoChanges {
  write?: RepoFiles;
  /** Paths to delete (files or directories). */
  remove?: string[];
  /** from → to, done with `git mv` (so `git diff -M` reports renames). */
  rename?: Record<string, string>;
}

export interface GitRepo {
  dir: string;
  /** Sha of the initial commit. */
  initialSha: string;
  /** Env used for every git call here (identity, dates, no system/global config); reuse it to run git yourself. */
  env: Record<string, string>;
  /** Applies renames, then removals, then writes; stages everything and commits. Returns the new sha. */
  commit(message: string, changes?: RepoChanges): Promise<string>;
  head(): Promise<string>;
  /** Runs git in the repo with the same env; returns stdout. */
  git(args: string[]): Promise<string>;
  close(): Promise<void>;
}

export const GIT_IDENTITY = { name: 'Deployer Test', email: 'deployer-test@example.invalid' } as const;

/** Fixed base time so shas are reproducible; each commit is one minute later than the previous. */
const BASE_EPOCH = 1_700_000_000;

function safeRel(rel: string): string {
  const n = normalize(rel);
  if (isAbsolute(n) || n === '..' || n.startsWith('../') || n === '.git' || n.startsWith('.git/')) {
    throw new Error(`repo path must be relative and inside the work tree: ${rel}`);
  }
  return n;
}

async function writeFiles(dir: string, files: RepoFiles): Promise<void> {
  for (const [rel, spec] of Object.entries(files)) {
    const path = join(dir, safeRel(rel));
    await mkdir(dirname(path), { recursive: true });
    // Replace whatever is there (a symlink must not be written through).
    if (await lstat(path).then(() => true, () => false)) await rm(path, { recursive: true, force: true });
    if (typeof spec === 'string') {
      await writeFile(path, spec);
    } else if ('symlink' in spec) {
      await symlink(spec.symlink, path);
    } else {
      await writeFile(path, spec.content);
      if (spec.mode !== undefined) await chmod(path, spec.mode);
    }
  }
}

export async function makeGitRepo(files: RepoFiles): Promise<GitRepo> {
  const tmp = await tmpDir('deployer-git-');
  const dir = tmp.path;
  let tick = 0;
  const baseEnv: Record<string, string> = {
    GIT_AUTHOR_NAME: GIT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: GIT_IDENTITY.email,
    GIT_COMMITTER_NAME: GIT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: GIT_IDENTITY.email,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
  const envFor = (t: number) => {
    const date = `@${BASE_EPOCH + t * 60} +0000`;
    return { ...baseEnv, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  };
  const git = async (args: string[]) =>
    (await execa('git', ['-C', dir, ...args], { env: envFor(tick), stripFinalNewline: true })).stdout;

  const commit = async (message: string, changes: RepoChanges = {}) => {
    for (const [from, to] of Object.entries(changes.rename ?? {})) {
      await mkdir(dirname(join(dir, safeRel(to))), { recursive: true });
      await git(['mv', '--', safeRel(from), safeRel(to)]);
    }
    for (const rel of changes.remove ?? []) {
      await git(['rm', '-r', '-q', '--', safeRel(rel)]);
    }
    await writeFiles(dir, changes.write ?? {});
    await git(['add', '-A', '--', '.']);
    tick++;
    await git(['commit', '-q', '--allow-empty', '--no-verify', '-m', message]);
    return git(['rev-parse', 'HEAD']);
  };

  try {
    await git(['init', '-q', '-b', 'main']);
    for (const [k, v] of [
      ['core.autocrlf', 'false'],
      ['core.symlinks', 'true'],
      ['core.fileMode', 'true'],
      ['commit.gpgSign', 'false'],
    ] as const) {
      await git(['config', k, v]);
    }
    await writeFiles(dir, files);
    await git(['add', '-A', '--', '.']);
    await git(['commit', '-q', '--allow-empty', '--no-verify', '-m', 'initial commit']);
    const initialSha = await git(['rev-parse', 'HEAD']);
    return {
      dir,
      initialSha,
      get env() {
        return envFor(tick);
      },
      commit,
      head: () => git(['rev-parse', 'HEAD']),
      git,
      close: () => tmp.cleanup(),
    };
  } catch (err) {
    await tmp.cleanup();
    throw err;
  }
}

// ---- the reference app ------------------------------------------------------------------------

/**
 * The file set of the reference Perl/PSGI web app the old scripts built (docs/traps.md §6: Dockerfile
 * with supervisord, carton's cpanfile + snapshot, Plack app, tests, docs). Grouped for change
 * classification: infra = Dockerfile, supervisor/; deps = cpanfile, cpanfile.snapshot;
 * code = app.psgi, lib/, t/; docs = README.md, docs/.
 * The Dockerfile starts FROM the local busybox base image (no Docker Hub here); it builds, but its
 * CMD (supervisord) does not run on busybox.
 */
export const PERL_APP_FILES: Readonly<Record<string, string>> = {
  Dockerfile: `FROM deployer-base/busybox:latest

ENV PATH=/opt/perl/bin:/usr/sbin:/sbin:/usr/bin:/bin

# code
RUN mkdir -p /opt/Web-App
ADD . /opt/Web-App/current

# carton install --deployment --path /opt/Web-App/shared
RUN mkdir -p /opt/Web-App/shared

EXPOSE 22 8000
CMD ["/usr/bin/supervisord", "-c", "/opt/Web-App/current/supervisor/supervisord.conf"]
`,
  'supervisor/supervisord.conf': `[supervisord]
nodaemon=true
logfile=/var/log/supervisord.log

[program:sshd]
command=/usr/sbin/sshd -D
autorestart=true

[program:app]
directory=/opt/Web-App/current
command=/opt/perl/bin/carton exec -- plackup -s Starlet --port 8000 -E production app.psgi
environment=PERL_CARTON_PATH="/opt/Web-App/shared"
autorestart=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true
`,
  cpanfile: `requires 'Plack', '1.0050';
requires 'Starlet', '0.31';
requires 'Router::Simple', '0.17';
requires 'JSON::PP', '4.16';

on test => sub {
    requires 'Test::More', '0.98';
    requires 'TAP::Harness::JUnit';
};
`,
  'cpanfile.snapshot': `# carton snapshot format: version 1.0
DISTRIBUTIONS
  Plack-1.0050
    pathname: M/MI/MIYAGAWA/Plack-1.0050.tar.gz
    provides:
      Plack 1.0050
    requirements:
      ExtUtils::MakeMaker 0
  Router-Simple-0.17
    pathname: T/TO/TOKUHIROM/Router-Simple-0.17.tar.gz
    provides:
      Router::Simple 0.17
    requirements:
      Module::Build::Tiny 0.035
  Starlet-0.31
    pathname: K/KA/KAZUHO/Starlet-0.31.tar.gz
    provides:
      Starlet 0.31
    requirements:
      Plack 0.992
`,
  'app.psgi': `use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use WebApp;

WebApp->new->to_app;
`,
  'lib/WebApp.pm': `package WebApp;
use strict;
use warnings;
use Router::Simple;
use WebApp::Controller;

our $VERSION = '0.01';

sub new { bless { router => _router() }, shift }

sub _router {
    my $r = Router::Simple->new;
    $r->connect('/'        => { action => 'index' });
    $r->connect('/health'  => { action => 'health' });
    $r->connect('/version' => { action => 'version' });
    $r;
}

sub to_app {
    my $self = shift;
    sub {
        my $env = shift;
        my $m = $self->{router}->match($env) or return [404, ['Content-Type' => 'text/plain'], ['not found']];
        my $action = $m->{action};
        WebApp::Controller->$action($env);
    };
}

1;
`,
  'lib/WebApp/Controller.pm': `package WebApp::Controller;
use strict;
use warnings;

sub index   { [200, ['Content-Type' => 'text/plain'], ["Hello from WebApp\\n"]] }
sub health  { [200, ['Content-Type' => 'text/plain'], ["ok\\n"]] }
sub version { [200, ['Content-Type' => 'text/plain'], [($ENV{APP_REVISION} // 'unknown') . "\\n"]] }

1;
`,
  't/00_compile.t': `use strict;
use warnings;
use Test::More;

use_ok $_ for qw(WebApp WebApp::Controller);

done_testing;
`,
  'README.md': `# Web-App

The reference PSGI application deployed with deployer: Plack behind supervisord, dependencies
installed with carton into /opt/Web-App/shared.
`,
  'docs/index.md': `# Web-App documentation

- \`GET /\` greets
- \`GET /health\` answers \`ok\`
- \`GET /version\` prints the deployed revision
`,
  '.dockerignore': `.git
local/
*.log
`,
};

/** A git repo holding PERL_APP_FILES (plus `extra`, which may override any of them). */
export function makePerlAppRepo(extra: RepoFiles = {}): Promise<GitRepo> {
  return makeGitRepo({ ...PERL_APP_FILES, ...extra });
}
