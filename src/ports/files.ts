// Local files a command produces for the person or the CI job running it (a JUnit report).

export interface LocalFiles {
  /** Writes the whole file at once: a temporary file beside it, then a rename. Creates parent directories. */
  writeAtomic(path: string, content: string | Uint8Array): Promise<void>;
}
