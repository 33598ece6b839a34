import { classifyChanges, type ChangeClass, type ClassifiedChange, type RawChange } from '../core/changes/classify.js';
import { buildContainerCommand, commitConfig } from '../core/build/commit-config.js';
import { dockerignoreMatcher } from '../core/build/dockerignore.js';
import { baseOfDelta, deltaLabels } from '../core/build/labels.js';
import { checkLayerBudget } from '../core/build/layers.js';
import { ancestorDirs, deepestFirst, imagePath } from '../core/build/paths.js';
import { shortId } from '../core/build/refs.js';
import type { Config } from '../core/config/schema.js';
import { PreconditionError } from '../core/errors.js';
import { imageRef, LABELS, shortSha } from '../core/image-ref.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { BuildStep } from '../core/steps/build.js';
import { dockerignoreAt, effectiveId, imageFacts, needsPull, resolveLabelledRevision, type BuildReadPorts, type ImageFacts } from './build-facts.js';
import { fullBuildSteps, noRegistryNote, type FullBuildFacts } from './full-build.js';

// delta-build: apply base..target to a container of the newest full image and commit one layer.
// Classes (precedence infra > deps > code > none, see core/changes/classify.ts):
//   none  → tag the base as <delta>:<sha>;
//   code  → copy added/modified files from git objects, delete deleted ones, commit;
//   deps  → as code, then remove changes.depsDir and run changes.depsInstall;
//   infra → a delta cannot apply it: a full build instead (or refuse with --on-infra fail).
// What gets copied is decided by the same .dockerignore reading as the full build's context, so a
// file a full build would not copy is not copied by a delta either.

export interface DeltaFacts {
  target: string;
  base: ImageFacts;
  baseRevision: string;
  changes: RawChange[];
  /** .dockerignore patterns at the target. */
  exclude: string[];
  /** <delta>:<sha> as it exists already (registry copy when configured). */
  existing?: ImageFacts;
  /** Directories (repo paths) that lose a file and still exist at the target. */
  keptDirs: string[];
  localIds: Record<string, string | undefined>;
  now: string;
}

export interface DeltaOptions {
  onInfra: 'full-build' | 'fail';
  force: boolean;
}

const SSH_READY_SECONDS = 30;

export function buildContainerName(config: Config, sha: string): string {
  return `deployer-build-${config.app}-${shortSha(sha)}`;
}

/** Paths a delta deletes (repo-relative): deleted files and the old side of renames. */
function deletedPaths(changes: readonly RawChange[]): string[] {
  const out: string[] = [];
  for (const c of changes) {
    if (c.status === 'deleted') out.push(c.path);
    if (c.status === 'renamed' && c.oldPath !== undefined) out.push(c.oldPath);
  }
  return out;
}

export async function gatherDeltaFacts(config: Config, ports: BuildReadPorts, rev: string, signal?: AbortSignal): Promise<DeltaFacts> {
  const target = await ports.git.resolve(rev);
  const latestRef = imageRef(config, 'full', 'latest');
  const deltaRef = imageRef(config, 'delta', target);
  const base = await imageFacts(ports, latestRef, signal);
  if (!base) {
    throw new PreconditionError(`there is no full image ${latestRef}${ports.images.registry ? ' in the registry or on this engine' : ' on this engine'}`, {
      hint: 'run `deployer full-build` first: a delta starts from the newest full image',
      code: 'build.no-base',
    });
  }
  const labelled = base.labels[LABELS.revision];
  if (!labelled) {
    throw new PreconditionError(`${latestRef} has no ${LABELS.revision} label: it was not made by deployer full-build`, {
      hint: 'run `deployer full-build` to make a full image deployer can build deltas on',
      code: 'build.unlabelled-base',
    });
  }
  const baseRevision = await resolveLabelledRevision(ports.git, labelled, latestRef);
  const [changes, exclude, existing, fullShaLocal, deltaLocal] = await Promise.all([
    baseRevision === target ? Promise.resolve([]) : ports.git.diff(baseRevision, target),
    dockerignoreAt(ports.git, target),
    imageFacts(ports, deltaRef, signal),
    ports.docker.imageInfo(imageRef(config, 'full', target)),
    ports.docker.imageInfo(deltaRef),
  ]);
  // One git call for all of them: a delta that deletes thousands of files in as many directories
  // once started a `git show` per directory, all at once.
  const candidates = [...new Set(deletedPaths(changes).flatMap(ancestorDirs))];
  const kept = candidates.length ? await ports.git.dirsAt(target, candidates) : [];
  return {
    target,
    base,
    baseRevision,
    changes,
    exclude,
    ...(existing ? { existing } : {}),
    keptDirs: kept.sort(),
    localIds: {
      [imageRef(config, 'full', target)]: fullShaLocal?.id,
      [latestRef]: base.localId,
      [deltaRef]: deltaLocal?.id,
    },
    now: ports.clock.now().toISOString(),
  };
}

export interface DeltaPlanResult {
  plan: Plan;
  class: ChangeClass;
  files: ClassifiedChange[];
  /** Why nothing is built (already built on this base). */
  skipped?: string;
}

function deltaFactsJson(config: Config, facts: DeltaFacts, cls: ChangeClass, files: ClassifiedChange[]) {
  return {
    revision: facts.target,
    image: imageRef(config, 'delta', facts.target),
    base: { ref: facts.base.ref, id: effectiveId(facts.base), revision: facts.baseRevision, layers: facts.base.layers },
    class: cls,
    files: files.map((f) => ({ path: f.path, status: f.status, class: f.class, ...(f.oldPath !== undefined ? { oldPath: f.oldPath } : {}) })),
  };
}

/** What every class's plan shares: the class, the notes so far, and the steps around the change. */
interface DeltaDraft {
  config: Config;
  facts: DeltaFacts;
  cls: ChangeClass;
  files: ClassifiedChange[];
  notes: string[];
  subject: string;
  factsJson: ReturnType<typeof deltaFactsJson>;
  deltaRef: string;
  baseId: string;
  pull: BuildStep[];
  pushDelta: BuildStep[];
  /** How a tag or commit of `ref` is undone on failure (provisional until pushed; the previous id). */
  undo(ref: string): { provisional: boolean; previousId?: string };
}

/** What a code or deps delta changes in the image (repo paths, after .dockerignore). */
interface DeltaChanges {
  copy: string[];
  del: string[];
  /** Directories emptied by the deletions, deepest first (removed only if empty). */
  dirs: string[];
  deps: boolean;
}

export function planDeltaBuild(config: Config, facts: DeltaFacts, opts: DeltaOptions): DeltaPlanResult {
  const { target, base } = facts;
  const pushes = config.registry !== undefined;
  const deltaRef = imageRef(config, 'delta', target);
  const baseId = effectiveId(base);
  const classification = classifyChanges(facts.changes, config.changes);
  let cls = classification.class;
  const notes = [...noRegistryNote(config)];
  // A changed .dockerignore changes what every build copies: only a full build can apply it.
  if (cls !== 'infra' && facts.changes.some((c) => c.path === '.dockerignore' || c.oldPath === '.dockerignore')) {
    cls = 'infra';
    notes.push('.dockerignore changed: treated as an infra change');
  }
  const files = classification.files;
  const subject = `delta-build ${shortSha(target)}  (base: ${shortSha(facts.baseRevision)}, class: ${cls})`;
  const factsJson = deltaFactsJson(config, facts, cls, files);

  if (facts.existing && !opts.force && baseOfDelta({ id: effectiveId(facts.existing), labels: facts.existing.labels }) === baseId) {
    const why = `${deltaRef} already exists, built on ${base.ref} (${shortId(baseId)}): nothing to do (--force rebuilds)`;
    return { plan: makePlan('delta-build', subject, factsJson, [], [...notes, why]), class: cls, files, skipped: why };
  }

  const draft: DeltaDraft = {
    config, facts, cls, files, notes, subject, factsJson, deltaRef, baseId,
    pull: needsPull(base)
      ? [{ id: 'pull-base', kind: 'build.pull', title: `pull ${base.ref} (${shortId(baseId)}, git ${shortSha(facts.baseRevision)})`, ref: base.ref }]
      : [],
    pushDelta: pushes ? [{ id: 'push-delta', kind: 'build.push', title: `push ${deltaRef}`, ref: deltaRef }] : [],
    undo: (ref) => ({ provisional: pushes, ...(facts.localIds[ref] ? { previousId: facts.localIds[ref] } : {}) }),
  };
  if (cls === 'infra') return planInfraDelta(draft, opts);

  const changes = deltaChanges(draft);
  if (changes.deps && !config.changes.depsInstall) {
    throw new PreconditionError(`dependency files changed (${files.filter((f) => f.class === 'deps').map((f) => f.path).join(', ')}) but changes.depsInstall is not configured`, {
      hint: 'set changes.depsInstall (and changes.depsDir) in deployer.yaml, or run `deployer full-build`',
      code: 'build.no-deps-install',
    });
  }
  if (cls === 'none' || (changes.copy.length === 0 && changes.del.length === 0 && !changes.deps)) return planRetag(draft);
  return planApplyDelta(draft, changes);
}

const result = (d: DeltaDraft, steps: BuildStep[]): DeltaPlanResult =>
  ({ plan: makePlan('delta-build', d.subject, d.factsJson, steps, d.notes), class: d.cls, files: d.files });

/** infra: a delta cannot apply it; a full build of the target, tagged as the delta too. */
function planInfraDelta(d: DeltaDraft, opts: DeltaOptions): DeltaPlanResult {
  const { config, facts, deltaRef } = d;
  const infraFiles = d.files.filter((f) => f.class === 'infra').map((f) => f.path);
  if (opts.onInfra === 'fail') {
    throw new PreconditionError(`delta-build cannot apply infra changes (${infraFiles.join(', ') || '.dockerignore'})`, {
      hint: 'run `deployer full-build`, then `deployer delta-build` again',
      code: 'build.infra',
    });
  }
  const fullFacts: FullBuildFacts = {
    sha: facts.target,
    dirty: false,
    dockerfilePresent: true,
    exclude: facts.exclude,
    latest: facts.base,
    localIds: facts.localIds,
    now: facts.now,
  };
  const fullRef = imageRef(config, 'full', facts.target);
  const steps: BuildStep[] = [
    ...fullBuildSteps(config, fullFacts, { moveLatest: true }),
    { id: 'tag-delta', kind: 'build.tag', title: `tag ${fullRef} as ${deltaRef}`, source: fullRef, target: deltaRef, ...d.undo(deltaRef) },
    ...d.pushDelta,
  ];
  d.notes.push(`infra change (${infraFiles.join(', ') || '.dockerignore'}): a delta cannot apply it, so this runs a full build instead (--on-infra fail refuses)`);
  return result(d, steps);
}

/** The files a code or deps delta copies and deletes: what a full build's context would hold. */
function deltaChanges(d: DeltaDraft): DeltaChanges {
  const excluded = dockerignoreMatcher(d.facts.exclude);
  const copy = [...new Set(d.files.filter((f) => f.status !== 'deleted' && !excluded(f.path)).map((f) => f.path))].sort();
  const copySet = new Set(copy);
  const del = [...new Set(deletedPaths(d.facts.changes).filter((p) => !excluded(p) && !copySet.has(p)))].sort();
  const kept = new Set(d.facts.keptDirs);
  const dirs = deepestFirst(del.flatMap(ancestorDirs).filter((dir) => !kept.has(dir) && !excluded(dir)));
  return { copy, del, dirs, deps: d.cls === 'deps' };
}

/** none (or nothing a full build would copy): the base image is the delta; tag it. */
function planRetag(d: DeltaDraft): DeltaPlanResult {
  const { facts, deltaRef, baseId } = d;
  const { base, target } = facts;
  if (d.cls !== 'none') d.notes.push('every changed file is excluded by .dockerignore: the image would not change');
  const steps: BuildStep[] = [
    ...d.pull,
    { id: 'tag-delta', kind: 'build.tag', title: `tag ${base.ref} (${shortId(baseId)}, git ${shortSha(facts.baseRevision)}) as ${deltaRef}`, source: baseId, target: deltaRef, ...d.undo(deltaRef) },
    ...d.pushDelta,
  ];
  if (target === facts.baseRevision) d.notes.push(`${base.ref} is already at ${shortSha(target)}`);
  return result(d, steps);
}

/** code and deps: a build container of the base, the deletions, the copies, the deps install, one commit. */
function planApplyDelta(d: DeltaDraft, { copy, del, dirs, deps }: DeltaChanges): DeltaPlanResult {
  const { config, facts, deltaRef, baseId, cls } = d;
  const { base, target } = facts;
  const budget = checkLayerBudget(base.ref, base.layers, config.build.maxLayers);
  if (budget.remaining < 5) d.notes.push(`${budget.remaining} delta layer${budget.remaining === 1 ? '' : 's'} left before build.maxLayers (${budget.max}): plan a full build`);
  const appDir = config.build.appDir;
  const name = buildContainerName(config, target);
  const start = del.length > 0 || deps;
  const viaSsh = config.exec.via === 'ssh' && start;
  const command = buildContainerCommand(base.config, viaSsh ? config.exec.ssh.sshd : undefined);
  const steps: BuildStep[] = [...d.pull, {
    id: 'create-container',
    kind: 'build.container',
    title: `create build container ${name} from ${base.ref} (${shortId(baseId)})`,
    reason: `command replaced by \`${[...(command.entrypoint ?? []), ...command.cmd].join(' ')}\`: the app does not run during the build${start ? '' : '; never started'}${viaSsh ? `; commands over ssh to port ${config.exec.ssh.port} (host key pinned from ${config.exec.ssh.hostKeyPath})` : ''}`,
    name,
    image: baseId,
    command,
    start,
    ...(viaSsh ? { ssh: { port: config.exec.ssh.port, hostKeyPath: config.exec.ssh.hostKeyPath, readyTimeoutSeconds: SSH_READY_SECONDS } } : {}),
  }];
  if (del.length || dirs.length) {
    steps.push({
      id: 'delete-files',
      kind: 'build.delete',
      title: `delete ${del.length} file${del.length === 1 ? '' : 's'} from ${appDir}`,
      container: name,
      paths: del.map((p) => imagePath(appDir, p)),
      dirs: dirs.map((d) => imagePath(appDir, d)),
      detail: [...del.map((p) => `- ${imagePath(appDir, p)}`), ...dirs.map((d) => `- ${imagePath(appDir, d)}/ (if empty)`)],
    });
  }
  if (copy.length) {
    steps.push({
      id: 'copy-files',
      kind: 'build.copy',
      title: `copy ${copy.length} file${copy.length === 1 ? '' : 's'} from git ${shortSha(target)} into ${appDir}`,
      container: name,
      revision: target,
      paths: copy,
      appDir,
      detail: copy.map((p) => `+ ${imagePath(appDir, p)}`),
    });
  }
  if (deps) {
    const install = config.changes.depsInstall!;
    const command = typeof install === 'string' ? ['/bin/sh', '-c', install] : [...install];
    steps.push({
      id: 'install-deps',
      kind: 'build.deps',
      title: `reinstall dependencies${config.changes.depsDir ? ` (remove ${config.changes.depsDir})` : ''}: ${typeof install === 'string' ? install : install.join(' ')}`,
      container: name,
      depsDir: config.changes.depsDir ?? '',
      command,
      workingDir: appDir,
    });
  }
  const labels = deltaLabels({ app: config.app, sha: target, builtAt: facts.now, baseRevision: facts.baseRevision, baseImageId: baseId, changeClass: cls });
  steps.push({
    id: 'commit-delta',
    kind: 'build.commit',
    title: `commit ${name} as ${deltaRef} (${base.layers} + 1 layers)`,
    reason: `Cmd, Entrypoint, Env, ExposedPorts, WorkingDir, User and labels of ${base.ref} restored`,
    container: name,
    ref: deltaRef,
    config: commitConfig(base.config, labels),
    baseLayers: base.layers,
    ...d.undo(deltaRef),
    detail: Object.entries(labels).map(([k, v]) => `label ${k}=${v}`),
  }, ...d.pushDelta);
  return result(d, steps);
}
