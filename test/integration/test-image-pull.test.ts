// test-image when only the registry has the image: found read-only while planning (--plan pulls
// nothing), pulled by the digest its tag names when applied, then tested and recorded under the
// pulled image's id (cache) and beside the image in the registry (sha256-<digest>.att).
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../support/cli.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { buildFixtureImage, fakeSha, leftovers, removeImages } from '../support/test-image.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

const SHA = fakeSha('integration-pull');
let registry: Registry;
let work: TmpDir;
let ref: string;
let imageId: string;
let digest: string;
let pinned: string;

async function onEngine(r: string): Promise<boolean> {
  return (await execa('docker', ['image', 'inspect', r], { reject: false })).exitCode === 0;
}

beforeAll(async () => {
  registry = await startRegistry();
  work = await tmpDir('ti-pull-');
  ref = `${registry.host}/ti-pull/app:${SHA}`;
  imageId = await buildFixtureImage(ref);
  await execa('docker', ['push', '-q', ref]);
  digest = (await execa('docker', ['image', 'inspect', '-f', '{{index .RepoDigests 0}}', ref])).stdout.trim().split('@')[1]!;
  pinned = `${registry.host}/ti-pull/app@${digest}`;
  await removeImages(ref);
  await writeFile(join(work.path, 'deployer.yaml'), stringify({
    app: 'fixture',
    registry: { host: registry.host },
    images: { full: 'ti-pull/app-full', delta: 'ti-pull/app' },
    build: { appDir: '/app' },
    test: { command: './t/pass.sh', env: { APP_ENV: 'test' }, junit: '/app/junit.xml', timeoutSeconds: 30 },
  }));
});

afterAll(async () => {
  if (ref) await removeImages(ref, ...(pinned ? [pinned] : []));
  await registry?.close();
  await work?.cleanup();
});

describe('deployer test-image with the image only in the registry', () => {
  it('plans the pull without pulling, then pulls, tests and records it', async () => {
    expect(await onEngine(ref)).toBe(false);
    const plan = await runCli(['--plan', 'test-image', SHA], { cwd: work.path });
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toContain(`deployer test-image ${SHA.slice(0, 12)}  (${pinned}, to be pulled from ${registry.host})`);
    expect(plan.stdout).toContain(`> pull ${pinned}`);
    expect(await onEngine(ref)).toBe(false);

    const r = await runCli(['test-image', SHA], { cwd: work.path });
    expect(r.stderr).toContain(`pull ${pinned}`);
    expect(r.exitCode).toBe(0);
    expect(await onEngine(pinned)).toBe(true);
    const file = `${imageId.replace(':', '-')}.json`;
    expect((await readdir(join(work.path, '.deployer', 'test-records'))).sort()).toEqual(['by-digest', file]);
    expect(JSON.parse(await readFile(join(work.path, '.deployer', 'test-records', file), 'utf8'))).toMatchObject({ imageId, image: pinned, revision: SHA, digest });
    const tags = (await (await fetch(`${registry.url}/v2/ti-pull/app/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toContain(`${digest.replace(':', '-')}.att`);
    expect(existsSync(join(work.path, 'junit_output.xml'))).toBe(true);
    expect(await leftovers(`deployer.tested-revision=${SHA}`)).toEqual({ containers: [], networks: [] });
  });
});
