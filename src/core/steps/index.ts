// The Step union: every kind any plan may contain. Each capability declares its own steps in its own
// file; the executor's handler table (src/exec/handlers/index.ts) must cover every kind, or the
// build fails.
import type { BuildStep } from './build.js';
import type { TestStep } from './test.js';
import type { DeployStep } from './deploy.js';
import type { SwitchStep } from './switch.js';
import type { HookStep } from './hooks.js';
import type { ImageStep } from './images.js';

export type Step = BuildStep | TestStep | DeployStep | SwitchStep | HookStep | ImageStep;
export type StepKind = Step['kind'];
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;
