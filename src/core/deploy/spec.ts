import type { Config, DeployConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { imageRef, LABELS, shortSha } from '../image-ref.js';
import { marathonAppId } from '../marathon/app-id.js';

// What an environment is, decided purely from the config and a revision, so the plan can name the
// containers or the Marathon app before anything runs.

export interface HealthCheckSpec {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  gracePeriodSeconds: number;
  maxConsecutiveFailures: number;
}

export interface DeploySpec {
  app: string;
  /** Full 40-char git sha. */
  revision: string;
  /**
   * The one image reference a scheduler runs: `<repo>@sha256:…` when a registry is configured (a
   * digest cannot be moved), else the local tag `<repo>:<sha>`. Schedulers hand it over as is.
   */
  image: string;
  instances: number;
  /** The port the app listens on inside the container. */
  port: number;
  env: Record<string, string>;
  labels: Record<string, string>;
  healthCheck: HealthCheckSpec;
  /** deployer's own deadline for the whole deployment (Marathon never gives up by itself). */
  timeoutSeconds: number;
}

/** Labels every environment's containers or Marathon app carry, beside LABELS.app/revision. */
export const ENV_LABELS = {
  instance: 'deployer.instance',
  instances: 'deployer.instances',
  healthPath: 'deployer.health-path',
  /** swarm: the app's port, to find each task's published port from list/get. */
  port: 'deployer.port',
} as const;

export const REVISION_ENV = 'DEPLOYER_REVISION';

export function requireDeployConfig(config: Config, file = 'deployer.yaml'): DeployConfig {
  if (!config.deploy) {
    throw new ConfigError(file, [{ path: 'deploy', message: 'is required for deploy, destroy, gc and status (see deployer.example.yaml)' }]);
  }
  if (config.deploy.scheduler === 'marathon' && !config.deploy.marathon) {
    throw new ConfigError(file, [{ path: 'deploy/marathon', message: 'is required when deploy.scheduler is marathon' }]);
  }
  return config.deploy;
}

/** `pin`: the digest-pinned ref chosen by choosePin (src/core/deploy/pin.ts); without it, the tag. */
export function deploySpec(config: Config, revision: string, pin?: { ref: string; digest: string }): DeploySpec {
  const deploy = requireDeployConfig(config);
  return {
    app: config.app,
    revision,
    image: pin?.ref ?? imageRef(config, 'delta', revision),
    instances: deploy.instances,
    port: deploy.port,
    // PORT: the app listens where deployer publishes. Marathon sets $PORT to the *host* port, which
    // in bridge mode is not the container port; an app that binds $PORT would be unreachable.
    env: { [REVISION_ENV]: revision, PORT: String(deploy.port) },
    labels: { [LABELS.app]: config.app, [LABELS.revision]: revision, ...(pin ? { [LABELS.digest]: pin.digest } : {}) },
    healthCheck: { ...deploy.healthCheck },
    timeoutSeconds: deploy.timeoutSeconds,
  };
}

/** `<app>-<sha12>-<i>`: one docker container of an environment. */
export function containerName(app: string, revision: string, index: number): string {
  return `${app}-${shortSha(revision)}-${index}`;
}

/** How the scheduler names the environment: a Marathon app id, the swarm service, or the docker container name stem. */
export function environmentId(config: Config, revision: string): string {
  const deploy = requireDeployConfig(config);
  if (deploy.scheduler === 'marathon') return marathonAppId(deploy.marathon!.appPrefix, revision);
  return `${config.app}-${shortSha(revision)}`;
}

/** For plan titles: `web-app-3f2a9c1e0b7d-{0..2}`, the swarm service or the Marathon app id. */
export function environmentArtefacts(config: Config, revision: string): string {
  const deploy = requireDeployConfig(config);
  if (deploy.scheduler === 'marathon') return `marathon app ${environmentId(config, revision)}`;
  if (deploy.scheduler === 'swarm') return `swarm service ${environmentId(config, revision)} (${deploy.instances} replica${deploy.instances === 1 ? '' : 's'})`;
  const n = deploy.instances;
  return n === 1 ? `container ${containerName(config.app, revision, 0)}` : `containers ${environmentId(config, revision)}-{0..${n - 1}}`;
}
