import type { Ports } from '../ports/index.js';

/** Gathering may open SSH connections; they are closed before planning (apply reopens them). */
export async function gathering<T>(ports: Pick<Ports, 'lb'>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await ports.lb.closeAll();
  }
}
