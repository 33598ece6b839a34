import type { SwitchStep } from '../../core/steps/switch.js';
import type { HandlersFor } from './types.js';

const pending = async () => {
  throw new Error('switch handlers: not implemented yet');
};

export const switchHandlers: HandlersFor<SwitchStep> = {
  'switch.lock': pending,
  'nginx.switch-upstream': pending,
  'switch.verify': pending,
  'switch.record': pending,
  'switch.release-lock': pending,
  'nginx.update-preview': pending,
};
