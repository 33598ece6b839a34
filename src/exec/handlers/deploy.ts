import type { DeployStep } from '../../core/steps/deploy.js';
import type { HandlersFor } from './types.js';

export const deployHandlers: HandlersFor<DeployStep> = {
  async 'deploy.placeholder'() {
    throw new Error('placeholder step: not implemented');
  },
};
