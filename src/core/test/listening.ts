// TCP readiness of a sidecar without touching its network from the host: the sidecar's own
// /proc/net/tcp and /proc/net/tcp6 (read with `cat` through docker exec) list its listening sockets.

const LISTEN = '0A';

/** True when a socket in the given /proc/net/tcp{,6} text listens on `port` (any address). */
export function listensOn(procNetTcp: string, port: number): boolean {
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0]!)) continue;
    const local = f[1]!;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (f[3] === LISTEN && parseInt(hexPort, 16) === port) return true;
  }
  return false;
}
