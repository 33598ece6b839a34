import { StepFailedError } from '../../core/errors.js';
import type { ImageStep } from '../../core/steps/images.js';
import type { HandlersFor } from './types.js';

// gc --images. The engine is never asked to force: an image a container (anyone's) was created
// from answers 409 and stays, which is said, not failed — gc runs again later.

export const imageHandlers: HandlersFor<ImageStep> = {
  async 'image.remove'(step, ctx) {
    for (const ref of step.refs) {
      ctx.signal.throwIfAborted();
      try {
        await ctx.ports.docker.removeImage(ref);
      } catch (e) {
        const message = (e as Error).message;
        if (!/conflict|being used|in use|referenced in multiple/i.test(message)) throw e;
        ctx.ports.log.warn(`kept ${ref}: ${message}`);
      }
    }
  },

  async 'registry.delete'(step, ctx) {
    const { registry } = ctx.ports;
    if (!registry.host) throw new StepFailedError('no registry configured', { code: 'registry.missing' });
    // The image first: a record left without its image is harmless; an image left without its record is not.
    await registry.deleteManifest(step.repository, step.digest, ctx.signal);
    if (step.record) await registry.deleteManifest(step.repository, step.record, ctx.signal);
  },
};
