import type { TestStep } from '../../core/steps/test.js';
import type { HandlersFor } from './types.js';

export const testHandlers: HandlersFor<TestStep> = {
  async 'test.placeholder'() {
    throw new Error('placeholder step: not implemented');
  },
};
