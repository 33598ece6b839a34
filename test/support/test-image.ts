// Fixture images for the test-image tests, built FROM deployer-base/busybox:latest with the docker
// CLI (classic builder: the base is local, nothing can be pulled), and leftover checks by label.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const FIXTURE_APP = fileURLToPath(new URL('../../fixtures/test-image/app', import.meta.url));
export const FIXTURE_LABEL = 'deployer.test-fixture';

const env = { ...process.env, DOCKER_BUILDKIT: '0' };

/** Builds the fixture app as `tag`; with `broken`, every response of its server is a 500. */
export async function buildFixtureImage(tag: string, opts: { broken?: boolean; labels?: Record<string, string> } = {}): Promise<string> {
  const labels = Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  await execa('docker', ['build', '-q', '--label', `${FIXTURE_LABEL}=1`, ...labels, '-t', tag, FIXTURE_APP], { env });
  if (opts.broken) {
    const dockerfile = `FROM ${tag}\nRUN echo 500 > /app/www/.status\n`;
    await execa('docker', ['build', '-q', '--label', `${FIXTURE_LABEL}=1`, '-t', tag, '-'], { env, input: dockerfile });
  }
  return (await execa('docker', ['image', 'inspect', '-f', '{{.Id}}', tag])).stdout.trim();
}

export async function removeImages(...tags: string[]): Promise<void> {
  await execa('docker', ['rmi', '-f', ...tags], { reject: false });
}

/** Containers and networks (names) that carry a label, e.g. `deployer.tested-revision=<sha>`. */
export async function leftovers(label: string): Promise<{ containers: string[]; networks: string[] }> {
  const c = await execa('docker', ['ps', '-a', '--filter', `label=${label}`, '--format', '{{.Names}}']);
  const n = await execa('docker', ['network', 'ls', '--filter', `label=${label}`, '--format', '{{.Name}}']);
  const lines = (s: string) => s.split('\n').filter(Boolean);
  return { containers: lines(c.stdout), networks: lines(n.stdout) };
}

/** A fake but well-formed revision: tests that need no git repository use full shas. */
export function fakeSha(seed: string): string {
  let h = '';
  for (let i = 0; h.length < 40; i++) h += ((seed.charCodeAt(i % seed.length) * 31 + i * 7) % 256).toString(16).padStart(2, '0');
  return h.slice(0, 40);
}

/** tsx's loader by absolute URL (as test/support/cli.ts): the CLI from source, as a child we can signal. */
export const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
export const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));

/**
 * An image that runs sshd like the seed's images did (`exec.via: ssh`): the fixture app plus the
 * host's OpenSSH server and the libraries it links, a fresh host key, and `clientPub` authorised
 * for root. Its command is sshd alone.
 */
export async function buildSshFixtureImage(tag: string, fromTag: string, clientPub: string, work: string): Promise<string> {
  const { mkdir, writeFile, copyFile, chmod } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const ctx = join(work, 'ssh-image');
  const root = join(ctx, 'root');
  const put = async (path: string, from: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await copyFile(from, join(root, path));
  };
  const ldd = (await execa('ldd', ['/usr/sbin/sshd'])).stdout;
  const libs = [...ldd.matchAll(/(\/\S+\.so[^\s]*)/g)].map((m) => m[1]!);
  for (const lib of new Set(libs)) await put(lib, lib);
  await put('/usr/sbin/sshd', '/usr/sbin/sshd');
  await mkdir(join(root, 'etc/ssh'), { recursive: true });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-image-fixture', '-f', join(root, 'etc/ssh/ssh_host_ed25519_key')]);
  await writeFile(join(root, 'etc/ssh/sshd_config'), [
    'Port 22', 'HostKey /etc/ssh/ssh_host_ed25519_key', 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'PidFile none', 'LogLevel INFO', '',
  ].join('\n'));
  await mkdir(join(root, 'root/.ssh'), { recursive: true });
  await writeFile(join(root, 'root/.ssh/authorized_keys'), `${clientPub.trim()}\n`);
  await chmod(join(root, 'etc/ssh/ssh_host_ed25519_key'), 0o600);
  await mkdir(join(root, 'run/sshd'), { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), [
    `FROM ${fromTag}`,
    'COPY root/ /',
    // sshd's privilege separation user; root's shell is busybox sh.
    "RUN echo 'sshd:x:100:65534::/run/sshd:/bin/false' >> /etc/passwd && echo 'nogroup:x:65534:' >> /etc/group && chmod 700 /root/.ssh",
    'EXPOSE 22',
    'CMD ["/usr/sbin/sshd", "-D", "-e"]',
    '',
  ].join('\n'));
  await execa('docker', ['build', '-q', '--label', `${FIXTURE_LABEL}=1`, '-t', tag, ctx], { env });
  return (await execa('docker', ['image', 'inspect', '-f', '{{.Id}}', tag])).stdout.trim();
}
