import type { StepBase } from '../plan.js';
import type { SmokeCheck } from '../test/smoke.js';

// Steps of test-image. A failing test never throws mid-plan: each step records what happened in
// ctx.results and the last step (test.write-report) writes the JUnit file and decides pass or fail,
// so Jenkins gets a report on every path that is not an interrupt.

/** What every step of the run carries: the first one to execute registers the run's cleanup. */
export interface TestRun {
  runId: string;
  revision: string;
  /** The image under test (the delta image, or the full one at the same revision). */
  image: string;
  /** Carried by every container and network of the run (`deployer.run=<runId>`): the sweep key. */
  labels: Record<string, string>;
  /** Absolute path of the JUnit file: written by the last step, or by the cleanup after a failure. */
  junitFile: string;
  timeoutSeconds: number;
}

export interface TestStepBase extends StepBase {
  run: TestRun;
}

export type Readiness = { tcp: number } | { command: string[]; display: string };

export interface ServiceSpec {
  name: string;
  container: string;
  image: string;
  env: Record<string, string>;
  command?: string[];
  ready?: Readiness;
}

export interface TestPullStep extends TestStepBase {
  kind: 'test.pull';
  ref: string;
  /** The image id the registry announced (its config digest): checked after the pull. */
  imageId: string;
}

export interface TestStartServicesStep extends TestStepBase {
  kind: 'test.start-services';
  network: string;
  services: ServiceSpec[];
  readyTimeoutSeconds: number;
}

export interface TestStartContainerStep extends TestStepBase {
  kind: 'test.start-container';
  image: string;
  container: string;
  network?: string;
  /** docker: the image's command is replaced by an idle loop; ssh: the image runs its own (sshd). */
  via: 'docker' | 'ssh';
  /** via ssh: the container's sshd port (published on 127.0.0.1), the login, and the host key to pin. */
  ssh?: { port: number; user: string; hostKeyPath: string; readyTimeoutSeconds: number };
}

export interface CommandSpec {
  argv: string[];
  /** As the config wrote it, for people and for the JUnit testcase name. */
  display: string;
  env: Record<string, string>;
  workingDir: string;
  timeoutSeconds: number;
}

export interface TestSetupStep extends TestStepBase {
  kind: 'test.run-setup';
  index: number;
  command: CommandSpec;
}

export interface TestSuiteStep extends TestStepBase {
  kind: 'test.run-suite';
  command: CommandSpec;
}

export interface TestCopyJunitStep extends TestStepBase {
  kind: 'test.copy-junit';
  /** Path of the suite's JUnit file inside the test container. */
  path: string;
}

export interface TestSmokeStep extends TestStepBase {
  kind: 'test.smoke';
  image: string;
  container: string;
  network?: string;
  port: number;
  env: Record<string, string>;
  checks: SmokeCheck[];
  startTimeoutSeconds: number;
}

export interface TestWriteReportStep extends TestStepBase {
  kind: 'test.write-report';
  /** Recorded with a pass, for `switch`. */
  by: string;
  /** The suite's command as shown, for the record. */
  suite: string;
  /** When the image is in the registry: the record goes beside it, bound to this digest. */
  digest?: string;
  repository?: string;
}

export type TestStep =
  | TestPullStep
  | TestStartServicesStep
  | TestStartContainerStep
  | TestSetupStep
  | TestSuiteStep
  | TestCopyJunitStep
  | TestSmokeStep
  | TestWriteReportStep;
