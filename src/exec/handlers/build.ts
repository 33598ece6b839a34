import type { BuildStep } from '../../core/steps/build.js';
import type { HandlersFor } from './types.js';

export const buildHandlers: HandlersFor<BuildStep> = {
  async 'build.placeholder'() {
    throw new Error('placeholder step: not implemented');
  },
};
