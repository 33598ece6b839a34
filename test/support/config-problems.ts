import { expect } from 'vitest';
import { parseConfigText } from '../../src/core/config/parse.js';
import { ConfigError } from '../../src/core/errors.js';

/** The `path: message` problems deployer reports for a deployer.yaml text (it must be refused). */
export function problems(text: string): string[] {
  try {
    parseConfigText(text, 'deployer.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).details;
  }
  throw new Error('expected a ConfigError');
}
