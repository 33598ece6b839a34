import { parseRef } from '../../core/build/refs.js';
import type { CommitRequest } from '../../ports/images.js';
import type { EngineApi } from './engine-api.js';
import { engineError } from './engine-errors.js';

// docker commit with the whole config in the body (docs/traps.md §1): the config the planner
// computed from the base image is what the new image gets.

export async function commitContainer(api: EngineApi, req: CommitRequest): Promise<{ id: string }> {
  const { repository, tag } = parseRef(req.ref);
  try {
    const r = await api.json<{ Id: string }>({
      method: 'POST',
      path: '/commit',
      query: { container: req.container, repo: repository, tag, comment: req.comment || undefined, pause: true },
      json: req.config,
    });
    return { id: r!.Id };
  } catch (e) {
    throw engineError(`commit ${req.container.slice(0, 12)} as ${req.ref}`, e);
  }
}
