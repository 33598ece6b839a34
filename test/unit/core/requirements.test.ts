import { describe, expect, it } from 'vitest';
import { checkRequirements } from '../../../src/cli/requirements.js';
import { parseConfigText } from '../../../src/core/config/parse.js';
import { ConfigError } from '../../../src/core/errors.js';

const BASE = 'app: web\nimages: { full: r/full, delta: r/delta }\nbuild: { context: ., appDir: /app }\n';
const loaded = (extra = '') => ({ config: parseConfigText(`${BASE}${extra}`, 'deployer.yaml'), path: '/work/app/deployer.yaml', dir: '/work/app' });

function refusal(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no ConfigError');
}

describe('config requirements, checked once after loading', () => {
  it('names the real file and every missing section at once', () => {
    const e = refusal(() => checkRequirements(loaded(), 'deployer switch', ['switch', 'deploy']));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('/work/app/deployer.yaml has 2 problems');
    expect(e.details).toEqual([
      'switch: is required by deployer switch (see deployer.example.yaml)',
      'deploy: is required by deployer switch (see deployer.example.yaml)',
    ]);
  });

  it('a marathon scheduler needs its marathon section', () => {
    const e = refusal(() => checkRequirements(loaded('deploy: { scheduler: marathon, port: 8000 }\n'), 'deployer deploy', ['deploy']));
    expect(e.details).toEqual(['deploy/marathon: is required when deploy.scheduler is marathon']);
  });

  it('test-image needs the test section', () => {
    const e = refusal(() => checkRequirements(loaded(), 'deployer test-image', ['test']));
    expect(e.details).toEqual(['test: is required by deployer test-image (at least test.command)']);
  });

  it('returns the config, typed with the sections, when they are there', () => {
    const config = checkRequirements(loaded('test: { command: [./t.sh] }\n'), 'deployer test-image', ['test']);
    const command: string | string[] = config.test.command;
    expect(command).toEqual(['./t.sh']);
    expect(checkRequirements(loaded(), 'deployer changes', [])).toMatchObject({ app: 'web' });
  });
});
