// Records that an image passed `test-image`, so `switch` can refuse untested images. Keyed by what
// cannot be moved: the manifest digest in the registry (when one is configured) and the image id
// (config digest) on the engine. A retagged or rebuilt image is never mistaken for the tested one.

export interface JunitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export interface TestRecord {
  /** Config digest: the local image id of the tested bytes. */
  imageId: string;
  /** The ref the run tested (`repo@sha256:…` when a registry is configured). */
  image: string;
  revision: string;
  passedAt: string;
  by: string;
  junit: JunitCounts;
  /** Manifest digest in the registry; absent when images stay local. */
  digest?: string;
  /** `<registry>/<repo>` the record is kept beside. */
  repository?: string;
  /** The suite as run, and its outcome in one line. */
  suite?: { command: string; summary: string };
  /** deployer's version that ran the tests. */
  deployer?: string;
}

export interface TestRecordStore {
  /** Where records go, for plan titles: a directory, or the registry and the cache directory. */
  readonly where: string;
  put(record: TestRecord, signal?: AbortSignal): Promise<void>;
  /** By local image id (the cache; without a registry the only store). */
  get(imageId: string): Promise<TestRecord | undefined>;
  /** By manifest digest: the local cache, else the registry (then cached). Undefined without a registry and cache entry. */
  forDigest(repository: string, digest: string, signal?: AbortSignal): Promise<TestRecord | undefined>;
  /** Every record of a revision: says which digest was tested when a tag names another one now. */
  forRevision(repository: string, revision: string, signal?: AbortSignal): Promise<TestRecord[]>;
}

