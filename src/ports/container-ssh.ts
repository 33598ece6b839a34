import type { ExecOptions, ExecResult } from './docker.js';

// `exec.via: ssh`: commands for a container whose image runs sshd (the old scripts' images did, docs/traps.md §6), over
// its port published on 127.0.0.1, accepting only the host key read from the container itself.

export interface ContainerShell {
  /** `user@127.0.0.1:port`, for messages. */
  readonly name: string;
  /** Runs argv (quoted for the remote shell); resolves with the exit code, like DockerPort.exec. */
  exec(cmd: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

export interface ContainerSshPort {
  /** Logs in as exec.ssh.user with exec.ssh.keyFile (else the agent and ~/.ssh keys). */
  open(target: {
    /** The host port the container's sshd is published on (127.0.0.1). */
    port: number;
    /** The only host key accepted: a public key line read from the container. */
    hostKey: string;
    hostKeySource: string;
    readyTimeoutMs?: number;
    signal?: AbortSignal;
  }): Promise<ContainerShell>;
}
