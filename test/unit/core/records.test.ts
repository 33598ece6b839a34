import { describe, expect, it } from 'vitest';
import { parseRef } from '../../../src/core/build/refs.js';
import { choosePin } from '../../../src/core/deploy/pin.js';
import { PreconditionError } from '../../../src/core/errors.js';
import { digestOf, pinnedRef, repositoryOf } from '../../../src/core/image-ref.js';
import { attestationManifest, attestationTag, attestedDigest, deployerLayer, envelopeFor, PREDICATE_TYPE, readEnvelope } from '../../../src/core/records/attestation.js';
import { checkTested } from '../../../src/core/switch/refusals.js';
import type { TestRecord } from '../../../src/ports/records.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const REV = '3f2a9c1e0b7d11223344556677889900aabbccdd';
const REPO = '127.0.0.1:5000/team/app';
const record = (digest: string, over: Partial<TestRecord> = {}): TestRecord => ({
  imageId: 'sha256:cfg', image: pinnedRef(REPO, digest), revision: REV, passedAt: '2026-01-01T00:00:00.000Z', by: 'ci@jenkins',
  junit: { tests: 3, failures: 0, errors: 0, skipped: 1 }, digest, repository: REPO, suite: { command: 'make test', summary: '3 tests passed' }, deployer: '0.1.0', ...over,
});

describe('pinned refs', () => {
  it.each([
    [`${REPO}@${D1}`, { repository: REPO, tag: D1, digest: D1, registry: '127.0.0.1:5000', path: 'team/app' }],
    [`${REPO}:v1@${D1}`, { repository: REPO, tag: D1, digest: D1 }],
    [`${REPO}:v1`, { repository: REPO, tag: 'v1', registry: '127.0.0.1:5000' }],
  ])('parseRef(%s)', (ref, want) => expect(parseRef(ref)).toMatchObject(want));

  it('digestOf and repositoryOf', () => {
    expect(digestOf(`${REPO}@${D1}`)).toBe(D1);
    expect(digestOf(`${REPO}:${REV}`)).toBeUndefined();
    expect(digestOf(`${REPO}@sha256:short`)).toBeUndefined();
    expect(repositoryOf(`${REPO}@${D1}`)).toBe(REPO);
    expect(repositoryOf(`${REPO}:${REV}`)).toBe(REPO);
    expect(repositoryOf('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app');
  });
});

describe('the registry document (cosign .att convention)', () => {
  it('names the tag as cosign does, and reads it back', () => {
    expect(attestationTag(D1)).toBe(`sha256-${'1'.repeat(64)}.att`);
    expect(attestedDigest(attestationTag(D1))).toBe(D1);
    expect(attestedDigest(REV)).toBeUndefined();
    expect(attestedDigest(`sha256-${'1'.repeat(64)}.sig`)).toBeUndefined();
  });

  it('round-trips a record through the envelope, bound to its digest', () => {
    const env = envelopeFor({ ...record(D1), digest: D1, repository: REPO });
    const back = readEnvelope(env.bytes, D1);
    expect(back).toEqual({ record: { ...record(D1), repository: undefined, image: pinnedRef(REPO, D1) } });
    expect(readEnvelope(env.bytes, D2)).toEqual({ problem: `its subject is not ${D2}` });
    expect(readEnvelope(new TextEncoder().encode('{'), D1)).toEqual({ problem: 'not valid JSON' });
  });

  it('keeps other layers of the .att manifest (cosign-signed attestations) and replaces its own', () => {
    const cosign = { mediaType: 'application/vnd.dsse.envelope.v1+json', digest: D2, size: 10, annotations: { predicateType: 'https://slsa.dev/provenance/v1' } };
    const first = attestationManifest(envelopeFor({ ...record(D1), digest: D1, repository: REPO }), [cosign]);
    const again = attestationManifest(envelopeFor({ ...record(D1, { by: 'other' }), digest: D1, repository: REPO }), first.manifest.layers);
    expect(again.manifest.layers.map((l) => l.annotations?.predicateType)).toEqual(['https://slsa.dev/provenance/v1', PREDICATE_TYPE]);
    const { layer } = deployerLayer(new TextEncoder().encode(JSON.stringify(again.manifest)));
    expect(layer?.digest).toBe(again.manifest.layers[1]!.digest);
  });
});

describe('choosePin: the tested digest wins over what the tag names now', () => {
  const tag = `${REPO}:${REV}`;
  it('the tag\'s digest when it is tested', () => {
    expect(choosePin(REV, { tag, tagDigest: D1, tested: [record(D1)] })).toMatchObject({ ref: `${REPO}@${D1}`, digest: D1, tested: { digest: D1 } });
  });
  it('the tested digest, with a note, when the tag was pushed again after testing', () => {
    const pin = choosePin(REV, { tag, tagDigest: D2, tested: [record(D1)] });
    expect(pin).toMatchObject({ ref: `${REPO}@${D1}`, digest: D1 });
    expect(pin.note).toContain(`${tag} names ${D2} now, but ${D1} is the digest that passed test-image`);
  });
  it('the tag\'s digest, noted as untested, when nothing passed', () => {
    const pin = choosePin(REV, { tag, tagDigest: D2, tested: [record(D1, { junit: { tests: 1, failures: 1, errors: 0, skipped: 0 } })] });
    expect(pin).toMatchObject({ digest: D2, tested: undefined });
    expect(pin.note).toContain('has no passing test record yet');
  });
  it('refuses an image that is not in the registry and never passed', () => {
    expect(() => choosePin(REV, { tag, tagDigest: undefined, tested: [] })).toThrow(PreconditionError);
  });
});

describe('checkTested by digest', () => {
  const base = { revision: REV, image: `${REPO}@${D2}`, imageId: undefined, digest: D2, force: false };
  it('passes with a passing record', () => {
    expect(checkTested({ ...base, record: record(D2), testedDigests: [] })).toBeUndefined();
  });
  it('says which digest was tested and which one runs', () => {
    expect(() => checkTested({ ...base, record: undefined, testedDigests: [D1] })).toThrow(`the environment runs ${D2}, but the digest that passed test-image for ${REV.slice(0, 12)} is ${D1}`);
  });
  it('says the registry has no record', () => {
    expect(() => checkTested({ ...base, record: undefined, testedDigests: [] })).toThrow(`${REPO}@${D2} has no passing \`deployer test-image\` record in the registry`);
  });
  it('forced: a note with the reason', () => {
    expect(checkTested({ ...base, record: undefined, testedDigests: [], force: true, reason: 'hotfix' })).toContain('reason: hotfix');
  });
});
