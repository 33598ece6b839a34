import type { Backend, InstanceState } from '../deploy/environment.js';
import type { SwarmNode, SwarmTask } from './types.js';

// Reading a service's tasks: swarm keeps the history of every slot (each restart is a new task),
// so an instance is the *current* task of its slot, and the newest failed one explains it.

const STARTING = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);
const FAILED = new Set(['failed', 'rejected']);

const newestFirst = (a: SwarmTask, b: SwarmTask) => b.createdAt.getTime() - a.createdAt.getTime();

/** Per slot, the task swarm wants running (else the newest one), ordered by slot. */
export function currentTasks(tasks: SwarmTask[]): SwarmTask[] {
  const bySlot = new Map<number, SwarmTask[]>();
  for (const t of tasks) bySlot.set(t.slot, [...(bySlot.get(t.slot) ?? []), t]);
  return [...bySlot.keys()].sort((a, b) => a - b).map((slot) => {
    const ts = bySlot.get(slot)!.sort(newestFirst);
    return ts.find((t) => t.desiredState === 'running' || t.desiredState === 'ready') ?? ts[0]!;
  });
}

/** The slot's newest failed or rejected task: why swarm had to replace it. */
export function lastFailure(tasks: SwarmTask[], slot: number): SwarmTask | undefined {
  return tasks.filter((t) => t.slot === slot && FAILED.has(t.state)).sort(newestFirst)[0];
}

/** undefined: running, probe it. */
export function taskRunState(task: SwarmTask): InstanceState | undefined {
  if (task.state === 'running') return task.desiredState === 'running' ? undefined : 'stopped';
  // A restart waits out its delay with desired state `ready` (docs/traps.md §5).
  return STARTING.has(task.state) && (task.desiredState === 'running' || task.desiredState === 'ready') ? 'starting' : 'stopped';
}

/**
 * Where other machines reach a node: Status.Addr, except that a manager may report 0.0.0.0 there
 * when its address is only in ManagerStatus.Addr (docs/traps.md §5).
 */
export function nodeAddress(node: SwarmNode): string | undefined {
  if (node.addr && node.addr !== '0.0.0.0') return node.addr;
  const m = node.managerAddr ? /^\[?([^\]]+?)\]?:\d+$/.exec(node.managerAddr) : null;
  return m?.[1] && m[1] !== '0.0.0.0' ? m[1] : undefined;
}

/** The task's node address and the port it published for the app's port; never a container address. */
export function taskBackend(task: SwarmTask, nodes: Map<string, SwarmNode>, port: number): Backend | undefined {
  const published = task.ports.find((p) => p.target === port)?.published;
  const node = task.nodeId ? nodes.get(task.nodeId) : undefined;
  const host = node ? nodeAddress(node) : undefined;
  return published && host ? { host, port: published } : undefined;
}

/** `running`, `rejected: No such image: web:1`, `failed: task: non-zero exit (3)`, `pending: no suitable node (…)`. */
export function describeTask(task: SwarmTask): string {
  const why = task.error ?? (task.state === 'running' ? '' : task.message);
  return why ? `${task.state}: ${why}` : task.state;
}
