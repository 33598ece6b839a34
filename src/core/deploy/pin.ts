import type { TestRecord } from '../../ports/records.js';
import { PreconditionError } from '../errors.js';
import { pinnedRef, repositoryOf, shortDigest, shortSha } from '../image-ref.js';
import { isPassing } from '../records/attestation.js';

// Which bytes an environment runs once a registry is configured: a digest, never a tag. The tested
// digest wins over whatever the tag names now, so a tag pushed again after testing never goes live.

export interface RegistryImageFacts {
  /** `<registry>/<delta repo>:<sha>` */
  tag: string;
  /** What the tag names in the registry now; undefined when it is not there. */
  tagDigest: string | undefined;
  /** Passing records of this revision that carry a digest (the tag's first, when it has one). */
  tested: TestRecord[];
}

export interface Pin {
  ref: string;
  digest: string;
  tested: TestRecord | undefined;
  note?: string;
}

export function choosePin(revision: string, f: RegistryImageFacts): Pin {
  const repo = repositoryOf(f.tag);
  const passing = f.tested.filter((r) => isPassing(r) && r.digest);
  const forTag = passing.find((r) => r.digest === f.tagDigest);
  if (f.tagDigest && forTag) return { ref: pinnedRef(repo, f.tagDigest), digest: f.tagDigest, tested: forTag };
  const newest = [...passing].sort((a, b) => b.passedAt.localeCompare(a.passedAt))[0];
  if (newest?.digest) {
    return {
      ref: pinnedRef(repo, newest.digest),
      digest: newest.digest,
      tested: newest,
      note: f.tagDigest
        ? `${f.tag} names ${f.tagDigest} now, but ${newest.digest} is the digest that passed test-image (${newest.passedAt}, by ${newest.by}): the tag was pushed again after testing, so the tested ${shortDigest(newest.digest)} is deployed`
        : `${f.tag} is not in the registry any more: deploying the tested ${newest.digest}`,
    };
  }
  if (!f.tagDigest) {
    throw new PreconditionError(`image ${f.tag} is not in the registry`, {
      code: 'deploy.image-missing',
      hint: `build and push it first: \`deployer delta-build ${revision}\` (a registry is configured, so environments run images by digest from it)`,
    });
  }
  return {
    ref: pinnedRef(repo, f.tagDigest),
    digest: f.tagDigest,
    tested: undefined,
    note: `${shortDigest(f.tagDigest)} (what ${f.tag} names) has no passing test record yet: switch will refuse it until \`deployer test-image ${shortSha(revision)}\` passes`,
  };
}
