import type { StepBase } from '../../core/plan.js';
import type { ExecContext } from '../context.js';

/** One handler per step kind of S; a kind without a handler does not compile. */
export type HandlersFor<S extends StepBase> = {
  [K in S['kind']]: (step: Extract<S, { kind: K }>, ctx: ExecContext) => Promise<void>;
};
