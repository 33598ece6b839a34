// In-memory stand-ins for the switch ports (load balancer hosts, lock, history, scheduler), for unit
// tests of the switch planners and handlers. Each LbHost keeps files as bytes with owner and mode,
// and answers `run` through a script the test provides.
import type { Config } from '../../src/core/config/schema.js';
import { parseConfigText } from '../../src/core/config/parse.js';
import type { HistoryEntry, HistoryPort } from '../../src/ports/history.js';
import type { ControlAnswer, ControlRequest, FileState, LbHost, RunResult } from '../../src/ports/lb.js';
import type { LbHosts } from '../../src/ports/lb-hosts.js';
import type { EnvironmentInfo } from '../../src/ports/scheduler.js';

export const SHA_A = 'a'.repeat(40);
export const SHA_B = 'b0b0b0b0b0b0'.padEnd(40, '1');
export const SHA_C = 'c'.repeat(40);

export function env(revision: string, ports: number[], over: Partial<EnvironmentInfo> = {}): EnvironmentInfo {
  const backends = ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    revision,
    id: `web-app-${revision.slice(0, 12)}`,
    image: `team/delta:${revision}`,
    wanted: ports.length,
    instances: backends.map((b, i) => ({ id: `i${i}`, state: 'healthy' as const, backend: b })),
    backends,
    healthy: ports.length,
    createdAt: new Date('2024-01-01T00:00:00Z'),
    ...over,
  };
}

export function switchConfig(switchYaml = '', verify = '{ url: "http://127.0.0.1:8080/", timeoutSeconds: 1 }'): Config {
  return parseConfigText(`
app: web-app
images: { full: team/full, delta: team/delta }
build: { appDir: /app }
switch:
  upstream: backend
  file: /lb/conf.d/backend.conf
  test: [nginx, -c, /lb/nginx.conf, -t]
  reload: [nginx, -c, /lb/nginx.conf, -s, reload]
  verify: ${verify}
  stateDir: /state
${switchYaml}`, 'deployer.yaml');
}

export const MAIN_CONF = 'events {}\nhttp {\n  include /lb/conf.d/backend.conf;\n  server { listen 8080; location / { proxy_pass http://backend; } }\n}\n';

export type RunScript = (argv: readonly string[], host: FakeHost) => RunResult | undefined;

export class FakeHost implements LbHost {
  files = new Map<string, FileState>();
  dirs = new Set<string>(['/']);
  runs: string[][] = [];
  script: RunScript | undefined;
  constructor(readonly name: string) {}

  put(path: string, content: string, st: Partial<FileState> = {}) {
    this.files.set(path, { content: Buffer.from(content), mode: st.mode ?? 0o640, uid: st.uid ?? 33, gid: st.gid ?? 33 });
  }
  text(path: string): string | undefined {
    return this.files.get(path)?.content.toString('utf8');
  }
  async read(path: string) {
    const f = this.files.get(path);
    return f ? { ...f, content: Buffer.from(f.content) } : undefined;
  }
  async writeAtomic(path: string, content: Buffer, like?: Pick<FileState, 'mode' | 'uid' | 'gid'>) {
    const cur = like ?? this.files.get(path);
    this.files.set(path, { content: Buffer.from(content), mode: cur?.mode ?? 0o644, uid: cur?.uid ?? 0, gid: cur?.gid ?? 0 });
  }
  async writeFile(path: string, content: Buffer, like?: Pick<FileState, 'mode' | 'uid' | 'gid'>) {
    this.files.set(path, { content: Buffer.from(content), mode: like?.mode ?? 0o644, uid: like?.uid ?? 0, gid: like?.gid ?? 0 });
  }
  async rename(from: string, to: string) {
    const f = this.files.get(from);
    if (!f) throw new Error(`ENOENT ${from}`);
    this.files.delete(from);
    this.files.set(to, f);
  }
  async remove(path: string) {
    this.files.delete(path);
    this.dirs.delete(path);
  }
  async mkdirExclusive(path: string) {
    if (this.dirs.has(path)) return false;
    this.dirs.add(path);
    return true;
  }
  async mkdirp(path: string) {
    this.dirs.add(path);
  }
  async run(argv: readonly string[]): Promise<RunResult> {
    this.runs.push([...argv]);
    if (argv[0] === 'test' && argv[1] === '-d') return { exitCode: this.dirs.has(argv[2]!) ? 0 : 1, stdout: '', stderr: '' };
    if (argv[0] === 'find') {
      const dir = `${argv[1]}/`;
      const names = [...this.files.keys()].filter((p) => p.startsWith(dir) && !p.slice(dir.length).includes('/'));
      return { exitCode: 0, stdout: names.map((n) => `${n}\0`).join(''), stderr: '' };
    }
    return this.script?.(argv, this) ?? { exitCode: 0, stdout: '', stderr: '' };
  }
  /** Requests to control sockets, and what a test says they answer (default: nothing listens). */
  controls: Array<{ socket: string; req: ControlRequest }> = [];
  controlScript: ((socket: string, req: ControlRequest) => ControlAnswer) | undefined;
  async control(socket: string, req: ControlRequest): Promise<ControlAnswer> {
    this.controls.push({ socket, req });
    if (!this.controlScript) throw new Error(`connect ENOENT ${socket}`);
    return this.controlScript(socket, req);
  }
  async close() {}
}

export function fakeHosts(...hosts: FakeHost[]): LbHosts & { closed: number } {
  const map = new Map(hosts.map((h) => [h.name, h]));
  const out = {
    closed: 0,
    get(name: string) {
      const h = map.get(name);
      if (!h) throw new Error(`no host ${name}`);
      return h;
    },
    async closeAll() {
      out.closed++;
    },
  };
  return out;
}

export function memoryHistory(entries: HistoryEntry[] = []): HistoryPort & { entries: HistoryEntry[] } {
  return {
    entries,
    async read() {
      return [...entries];
    },
    async append(e) {
      entries.push(e);
    },
  };
}
