import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/core/config/parse.js';
import { parsePreview, planPreviewStep, previewProbeBase, previewUrl, renderPreview } from '../../../src/core/nginx/preview.js';
import { resolveSwitchHosts } from '../../../src/core/switch/hosts.js';

const A = 'a'.repeat(40);
const B = '3f2a9c1e0b7d'.padEnd(40, '0');

function config(extra = '', verifyUrl = 'http://127.0.0.1/', previewExtra = '') {
  return parseConfigText(`
app: web-app
images: { full: team/full, delta: team/delta }
build: { appDir: /app }
preview: { domain: preview.example.com, listen: "127.0.0.1:8080"${previewExtra} }
switch:
  upstream: backend
  file: /etc/nginx/conf.d/backend.conf
  previewFile: /etc/nginx/conf.d/preview.conf
  verify: { url: "${verifyUrl}" }
${extra}`, 'deployer.yaml');
}

describe('renderPreview', () => {
  const settings = { app: 'web-app', domain: 'preview.example.com', listen: '127.0.0.1:8080' };
  it('puts the 404 catch-all first and one server block per environment', () => {
    const text = renderPreview(settings, [{ revision: B, backends: [{ host: '127.0.0.1', port: 32001 }] }, { revision: A, backends: [{ host: '127.0.0.1', port: 32000 }] }]);
    const catchAll = text.indexOf('server_name .preview.example.com;');
    expect(catchAll).toBeGreaterThan(0);
    expect(text.indexOf('return 404;')).toBeGreaterThan(catchAll);
    expect(text.indexOf('server_name 3f2a9c1e0b7d.preview.example.com;')).toBeGreaterThan(catchAll);
    expect(text).toContain('upstream preview_web_app_3f2a9c1e0b7d {\n    server 127.0.0.1:32001;\n}');
    expect(text).toContain('proxy_pass http://preview_web_app_aaaaaaaaaaaa;');
    expect(text.match(/listen 127\.0\.0\.1:8080;/g)).toHaveLength(3);
    expect(parsePreview(text)).toEqual([B, A].sort());
  });
  it('renders only the catch-all with no environments', () => {
    const text = renderPreview(settings, []);
    expect(text).toContain('return 404;');
    expect(parsePreview(text)).toEqual([]);
  });
  it('never renders a bad backend or listen value', () => {
    expect(() => renderPreview(settings, [{ revision: A, backends: [{ host: 'x; include /etc/passwd', port: 1 }] }])).toThrow(/cannot go into an nginx file/);
    expect(() => renderPreview({ ...settings, listen: '80; evil' }, [])).toThrow(/listen/);
  });
});

describe('preview URLs', () => {
  it('names the hostname and a non-80 port', () => {
    expect(previewUrl({ domain: 'p.example.com', listen: '127.0.0.1:8080' }, B)).toBe('http://3f2a9c1e0b7d.p.example.com:8080/');
    expect(previewUrl({ domain: 'p.example.com', listen: '80' }, B)).toBe('http://3f2a9c1e0b7d.p.example.com/');
  });
  it('probes local hosts on loopback and ssh hosts by name', () => {
    const hosts = resolveSwitchHosts(config('  hosts: [local, { ssh: "root@lb02:2222" }]').switch!);
    expect(previewProbeBase('80', hosts[0]!)).toBe('http://127.0.0.1:80/');
    expect(previewProbeBase('10.0.0.5:8080', hosts[0]!)).toBe('http://10.0.0.5:8080/');
    expect(previewProbeBase('8080', hosts[1]!)).toBe('http://lb02:8080/');
  });
});

describe('planPreviewStep', () => {
  it('is undefined without a preview section or preview file', () => {
    const c = config();
    expect(planPreviewStep({ ...c, preview: undefined }, { add: [A] })).toBeUndefined();
    expect(planPreviewStep({ ...c, switch: { ...c.switch!, previewFile: undefined } }, { add: [A] })).toBeUndefined();
  });
  it('names the hostnames, hosts, and how each host is tested and reloaded', () => {
    const step = planPreviewStep(config(), { add: [B] }, 'alice@ci')!;
    expect(step).toMatchObject({
      kind: 'nginx.update-preview',
      id: 'preview-add-3f2a9c1e0b7d',
      title: 'update preview hostnames +3f2a9c1e0b7d.preview.example.com on local',
      add: [B],
      remove: [],
      lock: { host: 'local', path: '/var/lib/deployer/web-app/lock', who: 'alice@ci' },
      hosts: [{ host: 'local', path: '/etc/nginx/conf.d/preview.conf', staged: '/etc/nginx/conf.d/.preview.conf.deployer-staged', verifyUrl: 'http://127.0.0.1:8080/' }],
    });
    expect(step.detail![0]).toContain('http://3f2a9c1e0b7d.preview.example.com:8080/');
  });
  it('verifies previews on the path of switch.verify.url, or on preview.verifyPath', () => {
    // An app that sends the revision header only on /version answers / without it.
    const onVersion = planPreviewStep(config('', 'http://127.0.0.1/version?full=1'), { add: [B] })!;
    expect(onVersion.hosts[0]!.verifyUrl).toBe('http://127.0.0.1:8080/version?full=1');
    const own = planPreviewStep(config('', 'http://127.0.0.1/version', ', verifyPath: /cgi-bin/rev'), { add: [B] })!;
    expect(own.hosts[0]!.verifyUrl).toBe('http://127.0.0.1:8080/cgi-bin/rev');
    expect(() => config('', 'http://127.0.0.1/', ', verifyPath: version')).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: 'preview/verifyPath' })] }));
  });
});
