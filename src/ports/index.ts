import type { Clock } from './clock.js';
import type { DockerPort } from './docker.js';
import type { GitPort } from './git.js';
import type { Log } from './log.js';

// Everything a planner or step handler may touch, built only by the entry point (src/cli/wire.ts).
// Capabilities add their own ports here as fields.
export interface Ports {
  git: GitPort;
  docker: DockerPort;
  clock: Clock;
  log: Log;
}

export type { Clock, DockerPort, GitPort, Log };
