import { blobOf, attestationManifest, attestationTag, attestedDigest, deployerLayer, envelopeFor, readEnvelope } from '../core/records/attestation.js';
import { StepFailedError } from '../core/errors.js';
import type { Log } from '../ports/log.js';
import type { TestRecord, TestRecordStore } from '../ports/records.js';
import type { RegistryClient } from './registry.js';

// Test records in the registry, beside the image they are about (src/core/records/attestation.ts
// says how), with the local file store as a cache in front, filled by the machine that ran the
// tests: a record is a fact about immutable bytes, so a cached copy never goes stale. A record without a digest (an image that never
// reached the registry) stays in the cache only, as without a registry.

type RegistryRecords = Pick<RegistryClient, 'host' | 'putBlob' | 'blob' | 'manifest' | 'putManifest' | 'tags'>;

export function registryRecordStore(registry: () => Promise<RegistryRecords>, cache: TestRecordStore, opts: { host: string; log?: Log }): TestRecordStore {
  async function read(repository: string, digest: string, signal?: AbortSignal): Promise<TestRecord | undefined> {
    const r = await registry();
    const att = await r.manifest(`${repository}:${attestationTag(digest)}`, signal);
    if (!att) return undefined;
    const { layer } = deployerLayer(att.body);
    if (!layer) return undefined;
    const bytes = await r.blob(repository, layer.digest, signal);
    if (!bytes || blobOf(bytes).digest !== layer.digest) {
      opts.log?.warn(`${repository}:${attestationTag(digest)}: its record blob ${layer.digest} is missing or damaged; ignored`);
      return undefined;
    }
    const out = readEnvelope(bytes, digest);
    if ('problem' in out) {
      opts.log?.warn(`${repository}:${attestationTag(digest)}: not a usable test record (${out.problem}); ignored`);
      return undefined;
    }
    return { ...out.record, repository };
  }

  return {
    where: `${opts.host} (tag sha256-<digest>.att beside the image), cached in ${cache.where}`,

    async put(record, signal) {
      if (record.digest && record.repository) {
        const { digest, repository } = record;
        try {
          const r = await registry();
          const tag = `${repository}:${attestationTag(digest)}`;
          const layer = envelopeFor({ ...record, digest, repository });
          const existing = await r.manifest(tag, signal);
          const { manifest, config } = attestationManifest(layer, existing ? deployerLayer(existing.body).all : []);
          await r.putBlob(repository, layer.digest, layer.bytes, signal);
          await r.putBlob(repository, config.digest, config.bytes, signal);
          await r.putManifest(tag, manifest.mediaType, new TextEncoder().encode(JSON.stringify(manifest)), signal);
        } catch (e) {
          if (signal?.aborted) throw e;
          throw new StepFailedError(`the tests passed, but the record could not be written to the registry ${opts.host}: ${(e as Error).message}`, {
            hint: 'the account needs push access to the image\'s repository; run `deployer test-image` again once it has',
            cause: e,
            code: 'records.registry',
          });
        }
      }
      await cache.put(record);
    },

    get: (imageId) => cache.get(imageId),

    async forDigest(repository, digest, signal) {
      const cached = await cache.forDigest(repository, digest, signal);
      if (cached) return cached;
      // Not written back to the cache: reads (and so every --plan) leave the state dir as it was.
      return read(repository, digest, signal);
    },

    async forRevision(repository, revision, signal) {
      const out = new Map<string, TestRecord>();
      for (const r of await cache.forRevision(repository, revision, signal)) out.set(r.digest ?? r.imageId, r);
      const tags = await (await registry()).tags(repository, signal);
      for (const digest of tags.map(attestedDigest)) {
        if (!digest || out.has(digest)) continue;
        const r = await read(repository, digest, signal);
        if (r?.revision === revision) out.set(digest, r);
      }
      return [...out.values()];
    },
  };
}
