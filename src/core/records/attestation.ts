import { createHash } from 'node:crypto';
import type { TestRecord } from '../../ports/records.js';
import { isDigest } from '../image-ref.js';

// A test record as it is kept in the registry, following cosign's convention for registries without
// the OCI referrers API: an OCI image manifest tagged `sha256-<hex>.att` in the image's own
// repository, whose layers are DSSE envelopes (application/vnd.dsse.envelope.v1+json) holding an
// in-toto Statement about the image digest. deployer's envelope carries no signature: it says
// "deployer ran these tests against these bytes", not who vouches for it (see the README's
// "Test records" section for what it proves, and how to add cosign signing on top).
//
// Pure: the adapter uploads and downloads the bytes this module makes and reads.

export const PREDICATE_TYPE = 'urn:deployer:test-result:v1';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

/** cosign's tag for the attestations of a digest: `sha256:abc…` → `sha256-abc….att`. */
export function attestationTag(digest: string): string {
  return `${digest.replace(':', '-')}.att`;
}

/** The digest an attestation tag is about, or undefined for any other tag. */
export function attestedDigest(tag: string): string | undefined {
  const m = /^(sha256)-([0-9a-f]{64})\.att$/.exec(tag);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

export interface Blob {
  digest: string;
  size: number;
  bytes: Uint8Array;
}

export function blobOf(bytes: Uint8Array | string): Blob {
  const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return { digest: `sha256:${createHash('sha256').update(b).digest('hex')}`, size: b.length, bytes: b };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** The predicate: the small document the issue of a record asks for. */
export function predicateOf(r: TestRecord): Record<string, unknown> {
  return {
    revision: r.revision,
    digest: r.digest ?? null,
    imageId: r.imageId,
    image: r.image,
    suite: r.suite ?? null,
    junit: r.junit,
    by: r.by,
    passedAt: r.passedAt,
    deployer: r.deployer ?? null,
  };
}

/** The DSSE envelope (unsigned) around the in-toto statement about `repository@digest`. */
export function envelopeFor(r: TestRecord & { digest: string; repository: string }): Blob {
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: r.repository, digest: { sha256: r.digest.replace(/^sha256:/, '') } }],
    predicateType: PREDICATE_TYPE,
    predicate: predicateOf(r),
  };
  const payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return blobOf(JSON.stringify({ payloadType: IN_TOTO_PAYLOAD_TYPE, payload, signatures: [] }));
}

/**
 * The `.att` manifest: deployer's layer replaces an earlier deployer layer, and every other layer
 * (cosign's signed attestations, say) is kept as it was.
 */
export function attestationManifest(layer: Blob, existing: readonly Descriptor[]): { manifest: OciManifest; config: Blob } {
  const layers: Descriptor[] = [
    ...existing.filter((d) => d.annotations?.predicateType !== PREDICATE_TYPE),
    { mediaType: DSSE_MEDIA_TYPE, digest: layer.digest, size: layer.size, annotations: { predicateType: PREDICATE_TYPE } },
  ];
  const config = blobOf(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  return { manifest: { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size }, layers }, config };
}

/** deployer's layer of an `.att` manifest, if it has one. */
export function deployerLayer(manifestBytes: Uint8Array): { layer: Descriptor | undefined; all: Descriptor[] } {
  let m: Partial<OciManifest>;
  try {
    m = JSON.parse(new TextDecoder().decode(manifestBytes)) as Partial<OciManifest>;
  } catch {
    return { layer: undefined, all: [] };
  }
  const all = Array.isArray(m.layers) ? m.layers : [];
  return { layer: all.find((d) => d.mediaType === DSSE_MEDIA_TYPE && d.annotations?.predicateType === PREDICATE_TYPE), all };
}

/**
 * The record in an envelope, checked against the digest it is filed under: a statement about other
 * bytes (copied under the wrong tag) is not a record for this digest. Returns a reason when unusable.
 */
export function readEnvelope(bytes: Uint8Array, digest: string): { record: TestRecord } | { problem: string } {
  let env: { payloadType?: unknown; payload?: unknown };
  let st: { _type?: unknown; subject?: { digest?: { sha256?: unknown } }[]; predicateType?: unknown; predicate?: Record<string, unknown> };
  try {
    env = JSON.parse(new TextDecoder().decode(bytes)) as typeof env;
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof env.payload !== 'string') return { problem: `not an in-toto DSSE envelope` };
    st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as typeof st;
  } catch {
    return { problem: 'not valid JSON' };
  }
  if (st.predicateType !== PREDICATE_TYPE) return { problem: `predicate type ${String(st.predicateType)}, not ${PREDICATE_TYPE}` };
  const hex = digest.replace(/^sha256:/, '');
  if (!st.subject?.some((s) => s.digest?.sha256 === hex)) return { problem: `its subject is not ${digest}` };
  const p = st.predicate ?? {};
  const junit = p.junit as TestRecord['junit'] | undefined;
  const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  if (!junit || typeof junit.failures !== 'number' || typeof junit.errors !== 'number' || !str('revision') || !str('imageId')) {
    return { problem: 'the predicate lacks revision, imageId or junit counts' };
  }
  if (p.digest !== digest || !isDigest(digest)) return { problem: `the predicate names digest ${String(p.digest)}, not ${digest}` };
  const suite = p.suite as TestRecord['suite'] | null | undefined;
  return {
    record: {
      imageId: str('imageId')!,
      image: str('image') ?? '',
      revision: str('revision')!,
      passedAt: str('passedAt') ?? '',
      by: str('by') ?? '',
      junit: { tests: junit.tests ?? 0, failures: junit.failures, errors: junit.errors, skipped: junit.skipped ?? 0 },
      digest,
      ...(suite ? { suite } : {}),
      ...(str('deployer') ? { deployer: str('deployer')! } : {}),
    },
  };
}

/** A record counts only when nothing failed. */
export function isPassing(r: TestRecord | undefined): boolean {
  return r !== undefined && r.junit.failures === 0 && r.junit.errors === 0;
}
