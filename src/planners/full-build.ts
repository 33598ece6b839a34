import { formatAge } from '../core/build/duration.js';
import { fullLabels } from '../core/build/labels.js';
import { shortId } from '../core/build/refs.js';
import type { Config } from '../core/config/schema.js';
import { PreconditionError } from '../core/errors.js';
import { imageRef, LABELS, shortSha } from '../core/image-ref.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { BuildStep } from '../core/steps/build.js';
import { dockerignoreAt, imageFacts, type BuildReadPorts, type ImageFacts } from './build-facts.js';

// full-build: docker build from the git-tracked content of a revision (never the work tree),
// honouring .dockerignore, tagged <full>:<sha>, pushed, and only then tagged and pushed as :latest.

export interface FullBuildFacts {
  sha: string;
  dirty: boolean;
  dockerfilePresent: boolean;
  /** .dockerignore patterns at the revision. */
  exclude: string[];
  /** The current <full>:latest (registry copy when configured), for --if-older-than. */
  latest?: ImageFacts;
  /** Local ids of the tags this build may move, restored if it fails. */
  localIds: Record<string, string | undefined>;
  /** ISO time the plan was made; the built-at label. */
  now: string;
}

export interface FullBuildOptions {
  allowDirty: boolean;
  /** Skip when the current full image is younger than this. */
  ifOlderThanMs?: number;
}

export function fullTag(sha: string, dirty: boolean): string {
  return dirty ? `${sha}-dirty` : sha;
}

export async function gatherFullBuildFacts(
  config: Config,
  ports: BuildReadPorts,
  rev: string,
  opts: { checkWorkTree: boolean; signal?: AbortSignal },
): Promise<FullBuildFacts> {
  const sha = await ports.git.resolve(rev);
  const dirty = opts.checkWorkTree ? await ports.git.isDirty() : false;
  const latestRef = imageRef(config, 'full', 'latest');
  const shaRef = imageRef(config, 'full', fullTag(sha, dirty));
  // Fail before a long build, not after it, when the registry is down or refuses us.
  await ports.images.registryAccess(opts.signal);
  const [dockerfile, exclude, latest, shaLocal] = await Promise.all([
    ports.git.show(sha, config.build.dockerfile),
    dockerignoreAt(ports.git, sha),
    imageFacts(ports, latestRef, opts.signal),
    ports.docker.imageInfo(shaRef),
  ]);
  return {
    sha,
    dirty,
    dockerfilePresent: dockerfile !== undefined,
    exclude,
    ...(latest ? { latest } : {}),
    localIds: { [shaRef]: shaLocal?.id, [latestRef]: latest?.localId },
    now: ports.clock.now().toISOString(),
  };
}

/** The build → push → tag :latest → push sequence (also what delta-build runs for an infra change). */
export function fullBuildSteps(config: Config, facts: FullBuildFacts, opts: { moveLatest: boolean }): BuildStep[] {
  const pushes = config.registry !== undefined;
  const ref = imageRef(config, 'full', fullTag(facts.sha, facts.dirty));
  const latest = imageRef(config, 'full', 'latest');
  const labels = fullLabels(config.app, facts.sha, facts.now, facts.dirty);
  const steps: BuildStep[] = [{
    id: 'build-full',
    kind: 'build.image',
    title: `build ${ref} from git ${shortSha(facts.sha)} (${config.build.dockerfile})`,
    revision: facts.sha,
    dockerfile: config.build.dockerfile,
    exclude: facts.exclude,
    tag: ref,
    labels,
    buildArgs: { ...config.build.buildArgs },
    provisional: pushes,
    ...(facts.localIds[ref] ? { previousId: facts.localIds[ref] } : {}),
    detail: [
      `context: git archive ${shortSha(facts.sha)}${facts.exclude.length ? ` minus .dockerignore (${facts.exclude.join(' ')})` : ''}`,
      `labels: ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(' ')}`,
      ...(Object.keys(config.build.buildArgs).length ? [`build args: ${Object.keys(config.build.buildArgs).join(' ')}`] : []),
    ],
  }];
  if (pushes) steps.push({ id: 'push-full', kind: 'build.push', title: `push ${ref}`, ref });
  if (opts.moveLatest && !facts.dirty) {
    steps.push({
      id: 'tag-latest',
      kind: 'build.tag',
      title: `tag ${ref} as ${latest}`,
      source: ref,
      target: latest,
      provisional: pushes,
      ...(facts.localIds[latest] ? { previousId: facts.localIds[latest] } : {}),
      ...(facts.latest ? { reason: `was ${facts.latest.labels[LABELS.revision] ? `git ${shortSha(facts.latest.labels[LABELS.revision]!)}` : shortId(facts.latest.remoteId ?? facts.latest.localId ?? '')}` } : {}),
    });
    if (pushes) steps.push({ id: 'push-latest', kind: 'build.push', title: `push ${latest}`, ref: latest });
  }
  return steps;
}

export function noRegistryNote(config: Config): string[] {
  return config.registry ? [] : ['no registry configured: images stay on the local engine (nothing is pushed or pulled)'];
}

/** Age of an image: its built-at label, else the engine's created time. */
export function imageAgeMs(img: ImageFacts, now: Date): number | undefined {
  const at = img.labels[LABELS.builtAt] ?? img.created;
  const t = at ? Date.parse(at) : NaN;
  return Number.isNaN(t) ? undefined : now.getTime() - t;
}

export interface FullBuildPlan {
  plan: Plan;
  /** Why nothing is built, when --if-older-than found a young enough image. */
  skipped?: string;
}

export function planFullBuild(config: Config, facts: FullBuildFacts, opts: FullBuildOptions): FullBuildPlan {
  const ref = imageRef(config, 'full', fullTag(facts.sha, facts.dirty));
  const subject = `full-build ${shortSha(facts.sha)}${facts.dirty ? ' (dirty work tree)' : ''}`;
  const factsJson = { revision: facts.sha, image: ref, dirty: facts.dirty, exclude: facts.exclude, latest: facts.latest ? { ref: facts.latest.ref, revision: facts.latest.labels[LABELS.revision], builtAt: facts.latest.labels[LABELS.builtAt] ?? facts.latest.created } : null };
  if (opts.ifOlderThanMs !== undefined && facts.latest) {
    const age = imageAgeMs(facts.latest, new Date(facts.now));
    if (age !== undefined && age < opts.ifOlderThanMs) {
      const why = `${facts.latest.ref} was built ${formatAge(age)} ago, less than ${formatAge(opts.ifOlderThanMs)} (--if-older-than): nothing to do`;
      return { plan: makePlan('full-build', subject, factsJson, [], [why]), skipped: why };
    }
  }
  if (facts.dirty && !opts.allowDirty) {
    throw new PreconditionError('the work tree has uncommitted changes to tracked files', {
      hint: `commit or stash them; or pass --allow-dirty to build the committed content of ${shortSha(facts.sha)} anyway (tagged :${shortSha(facts.sha)}…-dirty, never :latest)`,
      code: 'git.dirty',
    });
  }
  if (!facts.dockerfilePresent) {
    throw new PreconditionError(`${config.build.dockerfile} does not exist at ${shortSha(facts.sha)}`, {
      hint: 'check build.dockerfile in deployer.yaml (relative to build.context)',
      code: 'build.no-dockerfile',
    });
  }
  const notes = [...noRegistryNote(config)];
  if (facts.dirty) notes.push(`the work tree has uncommitted changes: they are NOT in the image (it is built from the committed content of ${shortSha(facts.sha)}); tagged -dirty and never :latest`);
  return { plan: makePlan('full-build', subject, factsJson, fullBuildSteps(config, facts, { moveLatest: true }), notes) };
}
