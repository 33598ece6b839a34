// Plain HTTP helpers for tests that talk to the Marathon stand-in directly (not through the adapter).

export type Json = Record<string, any>;

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One request to `base` + path; JSON body in and out (json undefined when the answer is not JSON). */
export async function call(base: { url: string } | string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<CallResult> {
  const url = typeof base === 'string' ? base : base.url;
  const res = await fetch(`${url}${path}`, {
    method,
    redirect: 'manual',
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
