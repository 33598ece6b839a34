// Image references: `host:port/team/app:tag` → repository and tag, and the registry part.

export interface ParsedRef {
  /** Everything before the tag: `127.0.0.1:5000/team/app`. */
  repository: string;
  tag: string;
  /** `127.0.0.1:5000`, or undefined for a name without a registry part. */
  registry: string | undefined;
  /** The repository path inside the registry: `team/app`. */
  path: string;
}

export function parseRef(ref: string): ParsedRef {
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
