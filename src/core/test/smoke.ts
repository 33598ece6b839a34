import type { TestConfig } from '../config/schema.js';

// Black-box checks against the image running as in production: one HTTP GET each, judged on the
// status, an optional body substring and an optional header. Pure: the handler does the GET.

export type SmokeCheck = TestConfig['smoke'][number];

export interface HttpAnswer {
  status: number;
  /** Lower-case names, as node reports them. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SmokeVerdict {
  ok: boolean;
  /** One line: what was wrong. */
  message?: string;
  /** The response (status line, headers, body head) or the connection error, for the report. */
  detail: string;
}

const BODY_SHOWN = 2000;

export function describeCheck(c: SmokeCheck): string {
  const parts = [`GET ${c.path} → ${c.status}`];
  if (c.body !== undefined) parts.push(`body contains ${JSON.stringify(c.body)}`);
  if (c.header) parts.push(c.header.value === '' ? `header ${c.header.name} present` : `header ${c.header.name}: ${c.header.value}`);
  return parts.join(', ');
}

export function showResponse(a: HttpAnswer): string {
  const lines = [`HTTP ${a.status}`];
  for (const [k, v] of Object.entries(a.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  }
  const body = a.body.length > BODY_SHOWN ? `${a.body.slice(0, BODY_SHOWN)}… (${a.body.length} characters)` : a.body;
  return `${lines.join('\n')}\n\n${body}`;
}

function headerValue(a: HttpAnswer, name: string): string | undefined {
  const v = a.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** `answer` is the response, or the error text when no response came. */
export function judge(c: SmokeCheck, answer: HttpAnswer | { error: string }): SmokeVerdict {
  if ('error' in answer) return { ok: false, message: `no response: ${answer.error}`, detail: answer.error };
  const detail = showResponse(answer);
  const wrong: string[] = [];
  if (answer.status !== c.status) wrong.push(`expected status ${c.status}, got ${answer.status}`);
  if (c.body !== undefined && !answer.body.includes(c.body)) wrong.push(`body does not contain ${JSON.stringify(c.body)}`);
  if (c.header) {
    const got = headerValue(answer, c.header.name);
    if (got === undefined) wrong.push(`header ${c.header.name} is missing`);
    else if (c.header.value !== '' && got.trim() !== c.header.value) wrong.push(`header ${c.header.name} is ${JSON.stringify(got)}, expected ${JSON.stringify(c.header.value)}`);
  }
  return wrong.length ? { ok: false, message: wrong.join('; '), detail } : { ok: true, detail };
}
