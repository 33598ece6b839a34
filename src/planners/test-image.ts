import type { Config, TestConfig } from '../core/config/schema.js';
import { ConfigError, PreconditionError } from '../core/errors.js';
import { imageRef, isFullSha, pinnedRef, repositoryOf, shortDigest, shortSha } from '../core/image-ref.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { Step } from '../core/steps/index.js';
import type { ServiceSpec, TestStep } from '../core/steps/test.js';
import { commandArgv, commandSpec, RUN_LABEL, testRun } from '../core/test/names.js';
import { describeCheck } from '../core/test/smoke.js';
import type { DockerPort } from '../ports/docker.js';
import type { GitPort } from '../ports/git.js';
import type { ImagesPort } from '../ports/images.js';

export interface TestImageFacts {
  revision: string;
  refs: { delta: string; full: string };
  /** The image to test when it is on the engine (the delta image first, then the full one). */
  local?: FoundImage;
  /** Otherwise, the image in the registry (same order), to be pulled. */
  remote?: FoundImage;
  /** The registry looked in, if any. */
  registry?: string;
}

export interface FoundImage {
  /** What the run tests: `repo@sha256:…` when the image is in the registry, else the local tag. */
  ref: string;
  id: string;
  exposedTcpPorts: number[];
  /** In the registry: the manifest digest the tag named when planning, and the tag itself. */
  digest?: string;
  tag?: string;
}

export interface TestImageOptions {
  /** A fresh uuid per run: names and the `deployer.run` label. */
  runId: string;
  /** Absolute path of the JUnit file to write, and how the person wrote it. */
  junitFile: string;
  junitDisplay: string;
  /** Where records go, for the step title. */
  recordsDir: string;
  /** Who runs this (user@host), recorded with a pass. */
  by: string;
  /** The config file, for configuration problems found while planning. */
  configFile: string;
}

/** A full 40-char sha is taken as is (no repository needed, as on a Jenkins test node); anything else goes through git. */
export async function resolveRevision(git: Pick<GitPort, 'resolve'>, rev: string): Promise<string> {
  const lower = rev.toLowerCase();
  return isFullSha(lower) ? lower : git.resolve(rev);
}

function tcpPorts(exposed: Record<string, object> | null | undefined): number[] {
  return Object.keys(exposed ?? {})
    .filter((k) => k.endsWith('/tcp') || !k.includes('/'))
    .map((k) => Number(k.split('/')[0]));
}

/**
 * With a registry, the image tested is the digest its tag names in the registry now (pinned: a push
 * of the tag during the run cannot change what is tested), taken from the engine when it has those
 * bytes, else pulled. Without one, or for an image never pushed, the local tag as before.
 */
export async function gatherTestImageFacts(
  ports: { git: Pick<GitPort, 'resolve'>; docker: Pick<DockerPort, 'imageInfo'>; images: Pick<ImagesPort, 'registry' | 'remote'> },
  config: Pick<Config, 'registry' | 'images'>,
  rev: string,
  signal?: AbortSignal,
): Promise<TestImageFacts> {
  const revision = await resolveRevision(ports.git, rev);
  const refs = { delta: imageRef(config, 'delta', revision), full: imageRef(config, 'full', revision) };
  const registry = ports.images.registry;
  if (registry) {
    for (const tag of [refs.delta, refs.full]) {
      const remote = await ports.images.remote(tag, signal);
      if (!remote) continue;
      const found = { ref: pinnedRef(repositoryOf(tag), remote.digest), id: remote.id, exposedTcpPorts: tcpPorts(remote.config.ExposedPorts), digest: remote.digest, tag };
      const info = await ports.docker.imageInfo(found.ref);
      return info?.id === remote.id ? { revision, refs, registry, local: found } : { revision, refs, registry, remote: found };
    }
  }
  for (const ref of [refs.delta, refs.full]) {
    const info = await ports.docker.imageInfo(ref);
    if (info) return { revision, refs, local: { ref, id: info.id, exposedTcpPorts: tcpPorts(info.config.ExposedPorts) }, ...(registry ? { registry } : {}) };
  }
  return { revision, refs, ...(registry ? { registry } : {}) };
}

function smokePort(config: Config, facts: TestImageFacts, configFile: string): number {
  if (config.deploy) return config.deploy.port;
  const exposed = (facts.local ?? facts.remote)?.exposedTcpPorts ?? [];
  if (exposed.length === 1) return exposed[0]!;
  throw new ConfigError(configFile, [{ path: 'deploy/port', message: 'is required by test/smoke: the port the app listens on inside the container' }], {
    hint: exposed.length ? `the image exposes ${exposed.join(', ')}; set deploy.port to the app's` : 'set deploy.port',
  });
}

export function planTestImage(config: Config, test: TestConfig, facts: TestImageFacts, opts: TestImageOptions): Plan {
  const { revision } = facts;
  const found = facts.local ?? facts.remote;
  if (!found) {
    throw new PreconditionError(`no image to test for ${shortSha(revision)}: neither ${facts.refs.delta} nor ${facts.refs.full} is on the Docker engine${facts.registry ? ` or in the registry ${facts.registry}` : ''}`, {
      hint: `build it first: deployer delta-build ${revision}`,
      code: 'test.no-image',
    });
  }
  const image = found.ref;
  const { base, ...run } = testRun(config.app, revision, opts.runId, { image, junitFile: opts.junitFile, timeoutSeconds: test.timeoutSeconds });
  const appDir = config.build.appDir;
  const via = config.exec.via;
  const steps: TestStep[] = [];

  if (!facts.local) {
    steps.push({ id: 'pull', kind: 'test.pull', title: `pull ${image}`, run, ref: image, imageId: found.id });
  }

  const network = test.services.length ? base : undefined;
  if (network) {
    const services: ServiceSpec[] = test.services.map((s) => ({
      name: s.name,
      container: `${base}-${s.name}`,
      image: s.image,
      env: { ...s.env },
      ...(s.command ? { command: [...s.command] } : {}),
      ...(s.ready ? { ready: 'tcp' in s.ready ? { tcp: s.ready.tcp } : (() => { const c = commandArgv(s.ready.command); return { command: c.argv, display: c.display }; })() } : {}),
    }));
    steps.push({
      id: 'start-services',
      kind: 'test.start-services',
      title: `start ${services.length} sidecar${services.length === 1 ? '' : 's'} (${services.map((s) => s.name).join(', ')}) on network ${network}`,
      detail: services.map((s) => `${s.name}: ${s.image}${s.command ? ` ${s.command.join(' ')}` : ''}  ready: ${s.ready ? ('tcp' in s.ready ? `tcp ${s.ready.tcp}` : s.ready.display) : 'when started'}`),
      run,
      network,
      services,
      readyTimeoutSeconds: Math.min(test.timeoutSeconds, 120),
    });
  }

  steps.push({
    id: 'start-container',
    kind: 'test.start-container',
    title: `start test container ${base} from ${image}`,
    detail: [via === 'docker'
      ? 'its command replaced by an idle loop; commands run through docker exec'
      : `its own command (sshd); commands run over ssh as ${config.exec.ssh.user} to port ${config.exec.ssh.port} published on 127.0.0.1, host key pinned from ${config.exec.ssh.hostKeyPath}`],
    run,
    image,
    container: base,
    ...(network ? { network } : {}),
    via,
    ...(via === 'ssh' ? { ssh: { port: config.exec.ssh.port, user: config.exec.ssh.user, hostKeyPath: config.exec.ssh.hostKeyPath, readyTimeoutSeconds: Math.min(test.timeoutSeconds, 120) } } : {}),
  });

  test.setup.forEach((c, i) => {
    const command = commandSpec(c, test, appDir);
    steps.push({ id: `setup-${i + 1}`, kind: 'test.run-setup', title: `setup ${i + 1}/${test.setup.length}: ${command.display}`, run, index: i, command });
  });

  const suite = commandSpec(test.command, test, appDir);
  steps.push({
    id: 'run-suite',
    kind: 'test.run-suite',
    title: `run tests: ${suite.display}  (in ${appDir}, timeout ${test.timeoutSeconds}s)`,
    detail: Object.entries(suite.env).map(([k, v]) => `env ${k}=${v}`),
    run,
    command: suite,
  });

  if (test.junit) {
    steps.push({ id: 'copy-junit', kind: 'test.copy-junit', title: `copy ${test.junit} out of the test container`, run, path: test.junit });
  }

  if (test.smoke.length) {
    const port = smokePort(config, facts, opts.configFile);
    steps.push({
      id: 'smoke',
      kind: 'test.smoke',
      title: `smoke: run ${image} with its own command, port ${port} on 127.0.0.1, ${test.smoke.length} check${test.smoke.length === 1 ? '' : 's'}`,
      detail: test.smoke.map(describeCheck),
      run,
      image,
      container: `${base}-smoke`,
      ...(network ? { network } : {}),
      port,
      env: { DEPLOYER_REVISION: revision },
      checks: test.smoke.map((c) => ({ ...c })),
      startTimeoutSeconds: Math.min(test.timeoutSeconds, 120),
    });
  }

  steps.push({
    id: 'write-report',
    kind: 'test.write-report',
    title: `write JUnit report ${opts.junitDisplay}; on a pass, record ${found.digest ? `digest ${shortDigest(found.digest)}` : image} as tested in ${opts.recordsDir}`,
    run,
    by: opts.by,
    suite: suite.display,
    ...(found.digest ? { digest: found.digest, repository: repositoryOf(image) } : {}),
  });

  return makePlan(
    'test-image',
    `test-image ${shortSha(revision)}  (${image}${facts.local ? '' : `, to be pulled from ${facts.registry}`})`,
    {
      revision,
      image,
      imageId: found.id,
      digest: found.digest ?? null,
      tag: found.tag ?? null,
      pull: !facts.local,
      runId: opts.runId,
      via,
      command: suite.display,
      setup: test.setup.map((c) => commandArgv(c).display),
      services: test.services.map((s) => ({ name: s.name, image: s.image })),
      smoke: test.smoke.map(describeCheck),
      junit: { from: test.junit ?? null, to: opts.junitFile },
      timeoutSeconds: test.timeoutSeconds,
    },
    steps as Step[],
    [`every container and network of this run is labelled ${RUN_LABEL}=${opts.runId} and removed when it ends (pass, fail, timeout or interrupt)`],
  );
}
