// The registry's images, for `gc --images --registry`: what each repository holds (by manifest
// digest, with its tags and size) and the one destructive call, deleting a manifest. Reclaiming the
// blobs afterwards is the registry's own garbage collection (README "Image retention").

export interface RegistryImage {
  repository: string;
  digest: string;
  /** Every tag naming this digest (never the `.att` record tags). */
  tags: string[];
  /** Compressed bytes: config plus layers, as the manifest lists them. */
  size: number;
  created: Date | undefined;
  labels: Record<string, string>;
  /** The manifest digest of its test record (`sha256-<hex>.att`), if it has one. */
  record?: string;
}

export interface RegistryPort {
  /** registry.host, or undefined when images stay local. */
  readonly host: string | undefined;
  images(repository: string, signal?: AbortSignal): Promise<RegistryImage[]>;
  /** Deletes a manifest and so every tag naming it; a missing one is not an error. */
  deleteManifest(repository: string, digest: string, signal?: AbortSignal): Promise<void>;
}
