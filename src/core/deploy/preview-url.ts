import type { Config } from '../config/schema.js';
import { shortSha } from '../image-ref.js';

// `<sha12>.<preview.domain>` on the port of `preview.listen` ("80", "8080", "127.0.0.1:8080", "[::]:8080").

export function previewHost(domain: string, revision: string): string {
  return `${shortSha(revision)}.${domain}`;
}

export function listenPort(listen: string): number {
  const first = listen.trim().split(/\s+/)[0] ?? '';
  const m = /(?:^|:)(\d{1,5})$/.exec(first);
  return m ? Number(m[1]) : 80;
}

export function previewUrl(config: Pick<Config, 'preview'>, revision: string): string | undefined {
  if (!config.preview) return undefined;
  const port = listenPort(config.preview.listen);
  return `http://${previewHost(config.preview.domain, revision)}${port === 80 ? '' : `:${port}`}/`;
}
