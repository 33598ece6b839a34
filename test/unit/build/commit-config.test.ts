import { describe, expect, it } from 'vitest';
import { buildContainerCommand, commitConfig, KEEP_ALIVE } from '../../../src/core/build/commit-config.js';

// The engine's commit merge (moby daemon/commit.go), reduced to what matters here, so the rules
// below are checked against the same behaviour that was verified on the real engine.
function engineMerge(body: { Cmd: string[] | null; Entrypoint: string[] | null }, container: { Cmd: string[] | null; Entrypoint: string[] | null }) {
  let { Cmd, Entrypoint } = body;
  if (!Entrypoint || Entrypoint.length === 0) {
    if (!Cmd || Cmd.length === 0) Cmd = container.Cmd;
    if (Entrypoint === null) Entrypoint = container.Entrypoint;
  }
  return { Cmd, Entrypoint };
}

function containerOf(base: { Cmd: string[] | null; Entrypoint: string[] | null }) {
  const c = buildContainerCommand(base);
  // docker create: an Entrypoint given replaces the image's and ignores its Cmd.
  return c.entrypoint ? { Entrypoint: c.entrypoint, Cmd: c.cmd } : { Entrypoint: base.Entrypoint, Cmd: c.cmd };
}

describe('build container command and commit config', () => {
  const bases = [
    { name: 'Cmd only', Cmd: ['/app/run.sh'], Entrypoint: null },
    { name: 'Entrypoint and Cmd', Cmd: ['serve'], Entrypoint: ['/entry.sh'] },
    { name: 'Entrypoint only', Cmd: null, Entrypoint: ['/entry.sh'] },
    { name: 'neither', Cmd: null, Entrypoint: null },
  ];

  it.each(bases)('$name: the app never runs in the build container', (base) => {
    const c = containerOf(base);
    const argv = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
    expect(argv).toEqual([...KEEP_ALIVE]);
  });

  it.each(bases)('$name: the committed image gets the base command back', (base) => {
    const merged = engineMerge(commitConfig(base, {}), containerOf(base));
    const argv = [...(merged.Entrypoint ?? []), ...(merged.Cmd ?? [])];
    expect(argv).toEqual([...(base.Entrypoint ?? []), ...(base.Cmd ?? [])]);
    expect(argv).not.toContain(KEEP_ALIVE[0]);
  });

  it('keeps a null Entrypoint null when the base has a Cmd', () => {
    const base = { Cmd: ['/app/run.sh'], Entrypoint: null };
    expect(engineMerge(commitConfig(base, {}), containerOf(base)).Entrypoint).toBeNull();
  });

  it('restores env, ports, workdir, user and merges labels (ours win)', () => {
    const cfg = commitConfig(
      { Cmd: ['x'], Env: ['A=1'], ExposedPorts: { '8000/tcp': {} }, WorkingDir: '/app', User: 'app', Labels: { keep: 'me', 'deployer.kind': 'full' } },
      { 'deployer.kind': 'delta' },
    );
    expect(cfg).toEqual({
      Cmd: ['x'],
      Entrypoint: null,
      Env: ['A=1'],
      ExposedPorts: { '8000/tcp': {} },
      WorkingDir: '/app',
      User: 'app',
      Labels: { keep: 'me', 'deployer.kind': 'delta' },
    });
  });
});
