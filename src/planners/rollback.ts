import type { Config } from '../core/config/schema.js';
import type { ForceOptions } from '../core/switch/refusals.js';
import { gatherSwitchFacts, planSwitch, type SwitchFacts, type SwitchPlan, type SwitchReadPorts } from './switch.js';

// `deployer rollback [<sha>]` is a switch whose target defaults to what was live before the current
// revision (from the history; see src/core/switch/history.ts): the same checks, plan, lock,
// two-phase apply, verification and record.

export function gatherRollbackFacts(ports: SwitchReadPorts, config: Config, req: { revision: string | undefined; who: string }): Promise<SwitchFacts> {
  return gatherSwitchFacts(ports, config, { action: 'rollback', ...req });
}

export function planRollback(config: Config, facts: SwitchFacts, opts: ForceOptions): SwitchPlan {
  return planSwitch(config, facts, opts);
}
