// What switch verification reads from an answer: the revision header.

/**
 * Verification accepts the header when it is the full sha, or a prefix of it of at least 12
 * characters (apps that print a short sha). The docker and Marathon schedulers set
 * DEPLOYER_REVISION to the full sha, which the fixture server echoes.
 */
export function revisionMatches(header: string | string[] | undefined, revision: string): boolean {
  const v = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  return v !== undefined && v.length >= 12 && revision.toLowerCase().startsWith(v);
}
