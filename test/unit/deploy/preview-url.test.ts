import { describe, expect, it } from 'vitest';
import { listenPort, previewUrl } from '../../../src/core/deploy/preview-url.js';

describe('preview URL', () => {
  it.each([['80', 80], ['8080', 8080], ['127.0.0.1:8080', 8080], ['[::]:8443', 8443], ['8081 default_server', 8081], ['unix:/x', 80]])('listen %s → port %i', (l, p) => {
    expect(listenPort(l)).toBe(p);
  });
  it('is http://<sha12>.<domain>[:port]/ and absent without a preview section', () => {
    const rev = '3f2a9c1e0b7d4c5e6f708192a3b4c5d6e7f80912';
    expect(previewUrl({ preview: { domain: 'preview.example.com', listen: '80' } }, rev)).toBe('http://3f2a9c1e0b7d.preview.example.com/');
    expect(previewUrl({ preview: { domain: 'p.test', listen: '127.0.0.1:8080' } }, rev)).toBe('http://3f2a9c1e0b7d.p.test:8080/');
    expect(previewUrl({}, rev)).toBeUndefined();
  });
});
