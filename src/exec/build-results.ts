import type { VerifyResult } from '../core/build/fs-diff.js';
import type { PushResult } from '../ports/images.js';
import { resultFamily, resultKey } from './results.js';

// What the build handlers leave for the build and verify reports (src/cli/views/build.ts).

export interface BuiltImage {
  id: string;
  layers: number;
}

/** Per image reference: what its push sent. */
export const PUSHED_IMAGES = resultFamily<PushResult>('pushed:');
/** Per image reference: the image built or committed under it. */
export const BUILT_IMAGES = resultFamily<BuiltImage>('image:');
export const VERIFY_RESULT = resultKey<VerifyResult>('verify.result');
