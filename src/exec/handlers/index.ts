import type { Step } from '../../core/steps/index.js';
import { buildHandlers } from './build.js';
import { deployHandlers } from './deploy.js';
import { hookHandlers } from './hooks.js';
import { imageHandlers } from './images.js';
import { switchHandlers } from './switch.js';
import { testHandlers } from './test.js';
import type { HandlersFor } from './types.js';

// The one handler table, keyed by step kind. Exhaustive by type: see HandlersFor.
export const handlers: HandlersFor<Step> = {
  ...buildHandlers,
  ...testHandlers,
  ...deployHandlers,
  ...switchHandlers,
  ...hookHandlers,
  ...imageHandlers,
};
