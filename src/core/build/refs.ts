// Image references: `host:port/team/app:tag` (or `…/app@sha256:<hex>`) → repository and tag or
// digest, and the registry part.

export interface ParsedRef {
  /** Everything before the tag or digest: `127.0.0.1:5000/team/app`. */
  repository: string;
  /** The tag, or for a pinned ref the digest: either way what `/v2/<path>/manifests/<reference>` takes. */
  tag: string;
  /** `sha256:<hex>` when the ref is pinned (`repo@sha256:…`). */
  digest?: string;
  /** `127.0.0.1:5000`, or undefined for a name without a registry part. */
  registry: string | undefined;
  /** The repository path inside the registry: `team/app`. */
  path: string;
}

export function parseRef(ref: string): ParsedRef {
  const pin = ref.indexOf('@');
  if (pin >= 0) {
    const digest = ref.slice(pin + 1);
    return { ...parseRef(ref.slice(0, pin)), tag: digest, digest };
  }
  const at = ref.lastIndexOf(':');
  const slash = ref.lastIndexOf('/');
  const [repository, tag] = at > slash ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, 'latest'];
  const first = repository.split('/')[0]!;
  const hasRegistry = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return {
    repository,
    tag,
    registry: hasRegistry ? first : undefined,
    path: hasRegistry ? repository.slice(first.length + 1) : repository,
  };
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
