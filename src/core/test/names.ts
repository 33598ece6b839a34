import type { TestConfig } from '../config/schema.js';
import { LABELS, shortSha } from '../image-ref.js';
import type { CommandSpec, TestRun } from '../steps/test.js';

// Names and labels of what a test-image run creates. Names carry the revision and the run id, so
// two runs (two Jenkins executors) never collide; the label is how every exit path finds them all.

export const RUN_LABEL = 'deployer.run';
export const PURPOSE_LABEL = 'deployer.purpose';
export const TESTED_REVISION_LABEL = 'deployer.tested-revision';

export function testRun(
  app: string,
  revision: string,
  runId: string,
  rest: Pick<TestRun, 'image' | 'junitFile' | 'timeoutSeconds'>,
): TestRun & { base: string } {
  return {
    ...rest,
    runId,
    revision,
    base: `${app}-test-${shortSha(revision)}-${runId.replace(/-/g, '').slice(0, 8)}`,
    labels: {
      [RUN_LABEL]: runId,
      [PURPOSE_LABEL]: 'test-image',
      [TESTED_REVISION_LABEL]: revision,
      // A container inherits its image's labels, and deployer's images carry deployer.app and
      // deployer.revision: the labels environments are found by. Blanked here, so `status`, `deploy`
      // or `gc` running meanwhile never take a test or smoke container for an environment.
      [LABELS.app]: '',
      [LABELS.revision]: '',
    },
  };
}

type Command = TestConfig['command'];

/** A string runs through /bin/sh -c (it is config, written by the team, never data); a list is argv. */
export function commandArgv(c: Command): { argv: string[]; display: string } {
  return typeof c === 'string' ? { argv: ['/bin/sh', '-c', c], display: c } : { argv: [...c], display: c.join(' ') };
}

export function commandSpec(c: Command, test: TestConfig, workingDir: string): CommandSpec {
  return { ...commandArgv(c), env: { ...test.env }, workingDir, timeoutSeconds: test.timeoutSeconds };
}
