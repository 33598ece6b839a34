import { attestedDigest } from '../core/records/attestation.js';
import type { RegistryImage, RegistryPort } from '../ports/registry.js';
import type { RegistryClient } from './registry.js';

// RegistryPort over the distribution API: a tag list, then one manifest and one config blob per
// digest (tags naming the same digest share them).

type Client = Pick<RegistryClient, 'tags' | 'manifest' | 'blob' | 'deleteManifest'>;

interface ManifestJson {
  config?: { digest: string; size: number };
  layers?: { size: number }[];
}

export function registryImages(host: string | undefined, client: () => Promise<Client>): RegistryPort {
  return {
    host,
    async images(repository, signal) {
      const r = await client();
      const tags = await r.tags(repository, signal);
      const byDigest = new Map<string, RegistryImage>();
      const records = new Map<string, string>();
      for (const tag of tags) {
        const m = await r.manifest(`${repository}:${tag}`, signal);
        if (!m) continue;
        const attested = attestedDigest(tag);
        if (attested) {
          records.set(attested, m.digest);
          continue;
        }
        const known = byDigest.get(m.digest);
        if (known) {
          known.tags.push(tag);
          continue;
        }
        const body = JSON.parse(new TextDecoder().decode(m.body)) as ManifestJson;
        const size = (body.config?.size ?? 0) + (body.layers ?? []).reduce((n, l) => n + l.size, 0);
        const blob = body.config ? await r.blob(repository, body.config.digest, signal) : undefined;
        const cfg = blob ? (JSON.parse(new TextDecoder().decode(blob)) as { created?: string; config?: { Labels?: Record<string, string> | null } }) : {};
        byDigest.set(m.digest, { repository, digest: m.digest, tags: [tag], size, created: cfg.created ? new Date(cfg.created) : undefined, labels: cfg.config?.Labels ?? {} });
      }
      return [...byDigest.values()].map((i) => (records.has(i.digest) ? { ...i, record: records.get(i.digest)! } : i));
    },
    async deleteManifest(repository, digest, signal) {
      await (await client()).deleteManifest(repository, digest, signal);
    },
  };
}
