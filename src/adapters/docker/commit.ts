import type Docker from 'dockerode';
import { parseRef } from '../../core/build/refs.js';
import type { CommitRequest } from '../../ports/images.js';
import { engineError } from './engine-errors.js';

// docker commit with the whole config in the body (_query/_body split, docs/traps.md §1):
// the config the planner computed from the base image is what the new image gets.

export async function commitContainer(docker: Docker, req: CommitRequest): Promise<{ id: string }> {
  const { repository, tag } = parseRef(req.ref);
  try {
    const options = {
      _query: { container: req.container, repo: repository, tag, ...(req.comment ? { comment: req.comment } : {}), pause: true },
      _body: req.config,
    };
    const r = (await docker.getContainer(req.container).commit(options as object)) as unknown as { Id: string };
    return { id: r.Id };
  } catch (e) {
    throw engineError(`commit ${req.container.slice(0, 12)} as ${req.ref}`, e);
  }
}
