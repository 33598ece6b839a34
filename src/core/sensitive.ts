import { inspect } from 'node:util';

// Secrets are wrapped where they enter (environment, credential files) and revealed only inside an
// adapter, at the moment a library needs the raw value. Every other rendering prints [REDACTED].
// node:util is pure (no I/O); it is imported only for the inspect symbol.

export const REDACTED = '[REDACTED]';

export class Sensitive<T = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

export function sensitive<T>(value: T): Sensitive<T> {
  return new Sensitive(value);
}

/** Removes every known secret from free text (daemon messages sometimes echo what they were sent). */
export function redactText(text: string, secrets: Iterable<Sensitive<string> | undefined>): string {
  let out = text;
  for (const s of secrets) {
    const raw = s?.reveal();
    if (raw && raw.length >= 3) out = out.split(raw).join(REDACTED);
  }
  return out;
}
