// Records that an image passed `test-image`, so `switch` can refuse untested images. Keyed by image
// id (content-addressed), so a retagged or rebuilt image is never mistaken for the tested one.

export interface TestRecord {
  imageId: string;
  image: string;
  revision: string;
  passedAt: string;
  by: string;
  junit: { tests: number; failures: number; errors: number; skipped: number };
}

export interface TestRecordStore {
  put(record: TestRecord): Promise<void>;
  get(imageId: string): Promise<TestRecord | undefined>;
}
