import { fullLabels } from '../core/build/labels.js';
import { imagePath } from '../core/build/paths.js';
import { shortId } from '../core/build/refs.js';
import type { Config } from '../core/config/schema.js';
import { PreconditionError } from '../core/errors.js';
import { imageRef, shortSha } from '../core/image-ref.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { BuildStep } from '../core/steps/build.js';
import { dockerignoreAt, effectiveId, imageFacts, needsPull, type BuildReadPorts, type ImageFacts } from './build-facts.js';
import { noRegistryNote } from './full-build.js';

// verify: "whatever layer you build from, you get the same image". Compares the file system of the
// full image at <sha> (built here if it does not exist; kept locally, not pushed) with
// <delta>:<sha>, path by path. Paths matching verify.volatile, and changes.ignore mapped under
// appDir (changes a delta deliberately does not apply), do not count.

export interface VerifyFacts {
  sha: string;
  full?: ImageFacts;
  delta?: ImageFacts;
  exclude: string[];
  now: string;
}

export async function gatherVerifyFacts(config: Config, ports: BuildReadPorts, rev: string, signal?: AbortSignal): Promise<VerifyFacts> {
  const sha = await ports.git.resolve(rev);
  const [full, delta, exclude] = await Promise.all([
    imageFacts(ports, imageRef(config, 'full', sha), signal),
    imageFacts(ports, imageRef(config, 'delta', sha), signal),
    dockerignoreAt(ports.git, sha),
  ]);
  return { sha, ...(full ? { full } : {}), ...(delta ? { delta } : {}), exclude, now: ports.clock.now().toISOString() };
}

/** Globs whose differences do not count, as absolute paths in the image. */
export function verifyIgnores(config: Config): string[] {
  const mapped = config.changes.ignore.map((g) => imagePath(config.build.appDir, g));
  return [...config.verify.volatile, ...mapped];
}

export function planVerify(config: Config, facts: VerifyFacts): Plan {
  const fullRef = imageRef(config, 'full', facts.sha);
  const deltaRef = imageRef(config, 'delta', facts.sha);
  if (!facts.delta) {
    throw new PreconditionError(`there is no delta image ${deltaRef}`, {
      hint: `run \`deployer delta-build ${shortSha(facts.sha)}\` first`,
      code: 'verify.no-delta',
    });
  }
  const steps: BuildStep[] = [];
  const notes = [...noRegistryNote(config)];
  if (needsPull(facts.delta)) steps.push({ id: 'pull-delta', kind: 'build.pull', title: `pull ${deltaRef}`, ref: deltaRef });
  if (!facts.full) {
    const labels = fullLabels(config.app, facts.sha, facts.now, false);
    steps.push({
      id: 'build-full',
      kind: 'build.image',
      title: `build ${fullRef} from git ${shortSha(facts.sha)} (${config.build.dockerfile})`,
      reason: 'no full image of this revision exists; kept on this engine, not pushed',
      revision: facts.sha,
      dockerfile: config.build.dockerfile,
      exclude: facts.exclude,
      tag: fullRef,
      labels,
      buildArgs: { ...config.build.buildArgs },
      provisional: false,
    });
  } else if (needsPull(facts.full)) {
    steps.push({ id: 'pull-full', kind: 'build.pull', title: `pull ${fullRef}`, ref: fullRef });
  }
  const ignore = verifyIgnores(config);
  steps.push({
    id: 'compare',
    kind: 'build.compare',
    title: `compare the file systems of ${fullRef} and ${deltaRef}`,
    full: fullRef,
    delta: deltaRef,
    ignore,
    detail: [`ignoring: ${ignore.join(' ')}`],
  });
  const subject = `verify ${shortSha(facts.sha)}`;
  return makePlan('verify', subject, {
    revision: facts.sha,
    full: facts.full ? { ref: fullRef, id: shortId(effectiveId(facts.full)) } : { ref: fullRef, id: null },
    delta: { ref: deltaRef, id: shortId(effectiveId(facts.delta)) },
    ignore,
  }, steps, notes);
}
