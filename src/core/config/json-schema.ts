import { z } from 'zod';
import { configSchema } from './schema.js';

// The JSON Schema of deployer.yaml, generated from the one zod schema the loader validates with,
// so editors (yaml-language-server) and the loader never disagree. docs/deployer.schema.json is
// this output, kept in sync by test/unit/core/json-schema.test.ts.
export function configJsonSchema(): Record<string, unknown> {
  // `input`: what a person may write (defaults make keys optional), not what the loader returns.
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'deployer.yaml', description: 'Configuration of deployer (see deployer.example.yaml for every key, commented).' };
}
