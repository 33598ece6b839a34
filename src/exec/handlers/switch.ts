import type { SwitchStep } from '../../core/steps/switch.js';
import type { HandlersFor } from './types.js';

export const switchHandlers: HandlersFor<SwitchStep> = {
  async 'switch.placeholder'() {
    throw new Error('placeholder step: not implemented');
  },
};
