import { LABELS } from '../image-ref.js';

// Labels a build writes. LABELS (src/core/image-ref.ts) are shared with every capability; the base
// image id is build-specific: it is what "the same base" means for delta-build's idempotency (two
// full builds of one revision are different images).

export const BUILD_LABELS = {
  ...LABELS,
  baseImage: 'deployer.base-image',
} as const;

export function fullLabels(app: string, sha: string, builtAt: string, dirty: boolean): Record<string, string> {
  return {
    [LABELS.app]: app,
    [LABELS.revision]: sha,
    [LABELS.kind]: 'full',
    [LABELS.builtAt]: builtAt,
    ...(dirty ? { [LABELS.dirty]: 'true' } : {}),
  };
}

export interface DeltaLabelInput {
  app: string;
  sha: string;
  builtAt: string;
  baseRevision: string;
  baseImageId: string;
  changeClass: string;
}

export function deltaLabels(i: DeltaLabelInput): Record<string, string> {
  return {
    [LABELS.app]: i.app,
    [LABELS.revision]: i.sha,
    [LABELS.kind]: 'delta',
    [LABELS.builtAt]: i.builtAt,
    [LABELS.baseRevision]: i.baseRevision,
    [LABELS.changeClass]: i.changeClass,
    [BUILD_LABELS.baseImage]: i.baseImageId,
  };
}

/**
 * The base image an existing delta was made from: its recorded base image id, or (for a delta tag
 * that points straight at a full image, as after a `none` change) the image itself.
 */
export function baseOfDelta(image: { id: string; labels: Record<string, string> }): string {
  return image.labels[BUILD_LABELS.baseImage] ?? image.id;
}
