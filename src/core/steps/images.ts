import type { StepBase } from '../plan.js';

// Steps of `gc --images`. Each names the image it removes and why (the reason is for display).

/** Remove an image's deployer tags and digests from the engine (never forced: an image in use stays). */
export interface ImageRemoveStep extends StepBase {
  kind: 'image.remove';
  imageId: string;
  refs: string[];
}

/** Delete a manifest (and so its tags) from the registry, then its test record (`.att`). */
export interface RegistryDeleteStep extends StepBase {
  kind: 'registry.delete';
  repository: string;
  digest: string;
  record?: string;
}

export type ImageStep = ImageRemoveStep | RegistryDeleteStep;
