import type { LbHost } from './lb.js';

// The switch hosts (`switch.hosts`), each as an LbHost, by the name the pure resolver gives it
// (src/core/switch/hosts.ts). Connections open on first use; closeAll ends them (SSH sockets would
// otherwise keep the process alive), and a host used again afterwards reconnects.
export interface LbHosts {
  get(name: string): LbHost;
  closeAll(): Promise<void>;
}
