import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { configSchema, type Config } from './schema.js';

// Text in, typed config or one ConfigError listing every problem out. Pure: the CLI reads the file.

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function problemFromIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = issue.path.map(String).join('/') || '(top level)';
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return [{ path, message: 'is required' }];
      const expected = issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`;
      return [{ path, message: `should be ${expected}, got ${describe(issue.input)}` }];
    }
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ path: path === '(top level)' ? k : `${path}/${k}`, message: 'is not a known key (see deployer.example.yaml)' }));
    case 'invalid_union': {
      const custom = issue.message && !issue.message.startsWith('Invalid input') ? issue.message : 'is not valid here';
      return [{ path, message: `${custom}, got ${describe(issue.input)}` }];
    }
    case 'too_big':
      return [{ path, message: `should be at most ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}, got ${describe(issue.input)}` }];
    case 'too_small':
      return [{ path, message: issue.message.startsWith('should') ? issue.message : `should be ${issue.inclusive === false ? 'greater than' : 'at least'} ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}, got ${describe(issue.input)}` }];
    case 'invalid_value':
      return [{ path, message: `should be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(issue.input)}` }];
    default: {
      const got = issue.input === undefined || typeof issue.input === 'object' ? '' : `, got ${describe(issue.input)}`;
      return [{ path, message: `${issue.message}${got}` }];
    }
  }
}

export function parseConfigText(text: string, file: string): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(file, doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return { path: pos ? `line ${pos.line}, column ${pos.col}` : 'yaml', message: e.message.split('\n')[0] ?? e.message };
    }));
  }
  // toJS() resolves aliases and merge keys; it throws on an alias bomb (or a long merge chain, which
  // expands the same way) and on an alias whose anchor is missing. Both are mistakes in the file.
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const why = /excessive alias count/i.test(message)
      ? 'aliases expand too far (more than 100 alias uses: an alias bomb or a long merge-key chain); write the values out'
      : message.split('\n')[0] ?? message;
    throw new ConfigError(file, [{ path: 'yaml aliases', message: why }], { cause: e });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, [{ path: '(top level)', message: `should be a mapping of settings, got ${describe(data)}` }]);
  }
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(file, result.error.issues.flatMap(problemFromIssue));
  return result.data;
}
