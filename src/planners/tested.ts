import { digestOf, repositoryOf } from '../core/image-ref.js';
import { isPassing } from '../core/records/attestation.js';
import type { DockerPort } from '../ports/docker.js';
import type { TestRecord, TestRecordStore } from '../ports/records.js';

// Is what an environment runs tested? One lookup for switch, rollback, status and the server. An
// environment pinned by digest (`repo@sha256:…`) is looked up by that digest — in the registry,
// from any machine, no local image needed. One run by tag (no registry) by the local image id.

export interface TestedFacts {
  /** The environment's manifest digest, when it runs one. */
  digest?: string;
  /** The tested image id (from the record), or the local image id for a tag. */
  imageId?: string;
  record?: TestRecord;
  /** When the environment's digest is untested: the digests that did pass for its revision. */
  testedDigests: string[];
}

export type TestedReadPorts = { docker: Pick<DockerPort, 'imageInfo'>; records: Pick<TestRecordStore, 'get' | 'forDigest' | 'forRevision'> };

export async function gatherTested(ports: TestedReadPorts, env: { image: string; revision: string }, opts: { explain: boolean }): Promise<TestedFacts> {
  const digest = digestOf(env.image);
  if (!digest) {
    const imageId = (await ports.docker.imageInfo(env.image))?.id;
    const record = imageId ? await ports.records.get(imageId) : undefined;
    return { ...(imageId ? { imageId } : {}), ...(record ? { record } : {}), testedDigests: [] };
  }
  const repo = repositoryOf(env.image);
  const record = await ports.records.forDigest(repo, digest);
  const testedDigests = !isPassing(record) && opts.explain
    ? (await ports.records.forRevision(repo, env.revision)).filter((r) => isPassing(r) && r.digest && r.digest !== digest).map((r) => r.digest!)
    : [];
  return { digest, ...(record ? { record, imageId: record.imageId } : {}), testedDigests };
}
