// Fault cases: with every credential variable deployer reads set (registry and Marathon passwords,
// the UI token, the SSH key passphrase, which unlocks the key a switch host is reached with), no
// output in any mode (text, --json, --plan, --verbose, a failure, a wrong passphrase, the UI) and no
// file deployer writes (state directory, records, events, history, nginx files) contains them.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { runCli } from '../support/cli.js';
import { faultCase, type FaultOutcome } from '../support/fault-case.js';
import { localSwitchWorld, switchIntact, type LocalSwitchWorld } from '../support/faults-switch-world.js';
import { call, startServe } from '../support/serve.js';
import { SKIP_BASHRC } from '../support/ssh-helpers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { nginxArgv } from '../support/switch-world.js';

const tag = `${process.pid}${Date.now().toString(36)}`;
const PASSPHRASE = `pp-${tag}-Zq9`;
const SECRETS: Record<string, string> = {
  DEPLOYER_REGISTRY_USER: 'registry-user',
  DEPLOYER_REGISTRY_PASSWORD: `reg-${tag}-Xy7`,
  DEPLOYER_MARATHON_USER: 'marathon-user',
  DEPLOYER_MARATHON_PASSWORD: `mar-${tag}-Wv5`,
  DEPLOYER_UI_TOKEN: `tok-${tag}-Ut3`,
  DEPLOYER_SSH_PASSPHRASE: PASSPHRASE,
};
const SECRET_VALUES = [SECRETS.DEPLOYER_REGISTRY_PASSWORD!, SECRETS.DEPLOYER_MARATHON_PASSWORD!, SECRETS.DEPLOYER_UI_TOKEN!, PASSPHRASE];

let world: LocalSwitchWorld;
let sshd: Sshd;
let sshConfig: string;

/** Each secret value, or a recognisable part of it, found in the text. */
function leaks(where: string, text: string): string[] {
  return SECRET_VALUES.filter((v) => text.includes(v) || text.includes(v.slice(4, -4))).map((v) => `${where} contains the value of ${Object.keys(SECRETS).find((k) => SECRETS[k] === v)}`);
}

/** Every regular file under the directories deployer writes into. */
async function leaksInFiles(...dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (await stat(p)).size < 5_000_000) out.push(...leaks(p, await readFile(p, 'latin1')));
    }
  };
  for (const d of dirs) await walk(d);
  return out;
}

const cli = (args: string[], config = sshConfig) => runCli(['--config', config, ...args], { cwd: world.w.dir, env: SECRETS });

async function secretCase(args: (other: string) => string[], expectedExit: number, message: RegExp | undefined, opts: { config?: string; intact?: boolean } = {}): Promise<FaultOutcome> {
  const r = await cli(args(await world.other()), opts.config);
  const output = r.stdout + r.stderr;
  return {
    exitCode: r.exitCode,
    expectedExit,
    output,
    ...(message ? { message } : {}),
    lost: [
      ...leaks('the output', output),
      ...(await leaksInFiles(world.w.dir, world.nginx.prefix)),
      ...(opts.intact === false ? [] : await switchIntact([world.lb], world.stateDir, world.w.app)),
    ],
  };
}

beforeAll(async () => {
  world = await localSwitchWorld('faults-secrets', 10);
  sshd = await startSshd({ extraConfig: SKIP_BASHRC, clientKeyPassphrase: PASSPHRASE });
  const n = world.nginx;
  // The same nginx, reached over SSH with a key only the passphrase unlocks.
  sshConfig = await world.w.writeConfig('ssh.yaml', [
    'switch:',
    '  upstream: backend',
    `  file: ${world.file}`,
    `  verify: { url: "http://127.0.0.1:${n.port}/", timeoutSeconds: 10 }`,
    `  stateDir: ${world.stateDir}`,
    '  hosts:',
    `    - ssh: ${sshd.user}@127.0.0.1:${sshd.port}`,
    '      name: lb1',
    `      identityFile: ${sshd.clientKeyPath}`,
    `      knownHosts: ${sshd.knownHostsPath}`,
    `      test: ${JSON.stringify(nginxArgv(n, '-t'))}`,
    `      reload: ${JSON.stringify(nginxArgv(n, '-s', 'reload'))}`,
  ]);
}, 300_000);

afterAll(async () => {
  await sshd?.close();
  await world?.close();
});

describe('secrets never leak', () => {
  faultCase('secrets', 'switch over SSH (key unlocked by the passphrase), text output', () => secretCase((o) => ['switch', o], 0, /is live on lb1 \(verified/));
  faultCase('secrets', 'switch --json', () => secretCase((o) => ['switch', '--json', o], 0, /"changed": true/));
  faultCase('secrets', 'switch --plan', () => secretCase((o) => ['switch', '--plan', o], 0, /Nothing has been changed/));
  faultCase('secrets', 'switch --plan --json --verbose', () => secretCase((o) => ['--verbose', 'switch', '--plan', '--json', o], 0, /"steps"/));
  faultCase('secrets', '--verbose switch that fails (`nginx -t` rejects)', async () =>
    secretCase((o) => ['--verbose', 'switch', o], 1, /failed the test; nothing went live/, { config: await world.config({ test: nginxArgv(world.nginx, '-g', 'worker_processes bogus;', '-t') }) }));
  faultCase('secrets', 'a wrong passphrase, --verbose: refused, the wrong value not echoed', async () => {
    const wrong = `wrong-${tag}-Ts1`;
    const r = await runCli(['--config', sshConfig, '--verbose', 'switch', await world.other()], { cwd: world.w.dir, env: { ...SECRETS, DEPLOYER_SSH_PASSPHRASE: wrong } });
    const output = r.stdout + r.stderr;
    return {
      exitCode: r.exitCode,
      expectedExit: 4,
      output,
      message: /passphrase|identityFile|cannot (read|decrypt|parse)|authentication/i,
      lost: [...leaks('the output', output), ...(output.includes(wrong) ? ['the output contains the wrong passphrase'] : []), ...(await switchIntact([world.lb], world.stateDir, world.w.app))],
    };
  });
  faultCase('secrets', 'status --json --verbose and history --json', async () => {
    const a = await secretCase(() => ['--verbose', 'status', '--json'], 0, /"live"/);
    const b = await secretCase(() => ['history', '--json'], 0, /"entries"/);
    return { ...a, output: a.output + b.output, lost: [...a.lost, ...b.lost], exitCode: Math.max(a.exitCode, b.exitCode) };
  });
  faultCase('secrets', 'deploy --plan --verbose (registry and Marathon credentials set)', () => secretCase(() => ['--verbose', 'deploy', '--plan', world.w.revs[0]!], 0, undefined));
  faultCase('secrets', 'the UI (serve): page, API and a wrong token, with DEPLOYER_UI_TOKEN set', async () => {
    const served = await startServe(world.w.dir, sshConfig, SECRETS);
    let output = '';
    try {
      const base = served.url.replace(/\/+$/, '');
      // `//` too: a request target that once crashed the router ("this is a bug: Invalid URL").
      for (const path of ['/', '//', '/api/status', '/api/history']) output += (await call(`${base}${path}`)).body;
      const denied = await call(`${base}/api/switch`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: JSON.stringify({ revision: await world.other() }) });
      output += `${denied.status} ${denied.body}`;
    } finally {
      await served.close();
    }
    output += served.stderr();
    return {
      exitCode: /^401 /m.test(output) ? 0 : 1,
      expectedExit: 0,
      output,
      message: /wrong token/,
      lost: [...leaks('the UI', output), ...(await leaksInFiles(world.w.dir, world.nginx.prefix))],
    };
  });
});
