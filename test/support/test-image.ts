// Fixture images for the test-image tests, built FROM deployer-base/busybox:latest with the docker
// CLI (classic builder: the base is local, nothing can be pulled), and leftover checks by label.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const FIXTURE_APP = fileURLToPath(new URL('../../fixtures/test-image/app', import.meta.url));
export const FIXTURE_LABEL = 'deployer.test-fixture';

const env = { ...process.env, DOCKER_BUILDKIT: '0' };

/** Builds the fixture app as `tag`; with `broken`, every response of its server is a 500. */
export async function buildFixtureImage(tag: string, opts: { broken?: boolean } = {}): Promise<string> {
  await execa('docker', ['build', '-q', '--label', `${FIXTURE_LABEL}=1`, '-t', tag, FIXTURE_APP], { env });
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
