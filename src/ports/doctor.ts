import type { LbHost } from './lb.js';

// What `deployer doctor` probes beyond the other ports: the engine's identity, the registry's
// push permission, and this machine as a host (state.dir is checked like a switch host's stateDir).
// Every method is read-only except pushProbe, whose throwaway upload is cancelled before it returns.

export interface EngineInfo {
  /** For people: `unix:///var/run/docker.sock` or $DOCKER_HOST. */
  endpoint: string;
  version: string;
  apiVersion: string;
  /** `docker info` Swarm.LocalNodeState: inactive, pending, active, error, locked. */
  swarm: string;
}

export interface DoctorPort {
  nodeVersion: string;
  engine(): Promise<EngineInfo>;
  /** GET /v2/ with the configured credentials; rejects with registry.unreachable or registry.auth. */
  registryPing(): Promise<void>;
  /**
   * Starts a blob upload into `repository` (POST /v2/<repository>/blobs/uploads/) and cancels it
   * (DELETE of the upload): proves push permission and leaves no blob behind.
   */
  registryPushProbe(repository: string): Promise<void>;
  /** This machine. */
  local: LbHost;
}
