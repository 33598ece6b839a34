// Libraries report an abort in their own words: node:http and fetch "The operation was aborted",
// docker-modem "aborted" (ECONNRESET), execa "Command was canceled", a timer a generic AbortError.
// The CLI aborts with the interruption itself (an InterruptedError, exit 130: src/cli/main.ts), so
// once the signal has aborted, that reason is what every adapter rejects with
// (test/integration/abort-reason.test.ts).

/** `e`, unless `signal` has aborted: then its reason. */
export function abortedOr(signal: AbortSignal | undefined, e: unknown): unknown {
  return signal?.aborted ? signal.reason : e;
}
