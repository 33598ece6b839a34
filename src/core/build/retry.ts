// Registries are flaky (the old scripts looped until one answered, docs/traps.md §6). Retry
// connection failures and 5xx, never 4xx: a 401 or 404 will not fix itself, and retrying a 401 can
// lock an account.

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4000 };

/** Delay before attempt n+1 (n counts from 1). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

const PERMANENT = [
  /unauthorized/i,
  /authentication required/i,
  /no basic auth credentials/i,
  /denied/i,
  /(status|code)[: ]+4\d\d\b/i,
  /not found/i,
  /manifest unknown/i,
  /name unknown/i,
  /does not exist locally/i,
  /invalid reference format/i,
];

const TRANSIENT = [
  /connection refused/i,
  /connection reset/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN/,
  /i\/o timeout/i,
  /timeout exceeded|timed out/i,
  /no such host/i,
  /broken pipe/i,
  /unexpected EOF|: EOF\b/i,
  /(status|code)[: ]+5\d\d\b/i,
  /internal server error|bad gateway|service unavailable|gateway timeout/i,
  /TLS handshake timeout/i,
];

/** Is a daemon or registry error message worth another attempt? Permanent patterns win. */
export function isTransientMessage(message: string): boolean {
  if (PERMANENT.some((re) => re.test(message))) return false;
  return TRANSIENT.some((re) => re.test(message));
}

export function isTransientStatus(status: number): boolean {
  return status >= 500 && status <= 599;
}
