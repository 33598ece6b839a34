import Docker from 'dockerode';

// One dockerode client per process. `new Docker()` honours DOCKER_HOST (unix, tcp and ssh://).
// Never pin an API version: unversioned paths use the daemon's own (docs/traps.md §1).

export function dockerClient(): Docker {
  return new Docker();
}
