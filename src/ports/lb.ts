// A load-balancer host running nginx: the local machine or one reached over SSH. Files are written
// beside the live one and renamed into place (atomic), with the existing owner and mode.

export interface FileState {
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ControlRequest {
  method: 'GET' | 'PUT';
  path: string;
  body?: string;
  timeoutMs?: number;
}

export interface ControlAnswer {
  status: number;
  body: string;
}

export interface LbHost {
  /** For people: `local` or `root@lb01:22`. */
  readonly name: string;
  read(path: string): Promise<FileState | undefined>;
  /** Writes `content` to `path` atomically (temp file beside it, then rename), keeping owner/mode of `like`. */
  writeAtomic(path: string, content: Buffer, like?: Pick<FileState, 'mode' | 'uid' | 'gid'>): Promise<void>;
  /** Writes a new file (not renamed); returns nothing. Used for the staged copy in a two-phase switch. */
  writeFile(path: string, content: Buffer, like?: Pick<FileState, 'mode' | 'uid' | 'gid'>): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** mkdir that fails if it exists: the lock primitive. Resolves false when it already existed. */
  mkdirExclusive(path: string): Promise<boolean>;
  mkdirp(path: string): Promise<void>;
  /**
   * Runs argv (quoted for the remote shell when over SSH; never a shell string built from data).
   * An abort (Ctrl-C) stops the command itself (kills it, or its remote process group) and
   * rejects with the abort reason: a slow `nginx -t` must not hold an interrupted run.
   */
  run(argv: readonly string[], opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<RunResult>;
  /**
   * One HTTP request to a unix socket on the host (switch.method dynamic's control endpoint): no
   * TCP port is opened for it; over SSH it goes through a forwarded stream to the remote socket.
   */
  control(socket: string, req: ControlRequest): Promise<ControlAnswer>;
  close(): Promise<void>;
}
