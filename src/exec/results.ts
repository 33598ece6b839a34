// What one step of an applied plan leaves for a later step or the command's report: a container id
// made by one step and committed by the next, the verdict of a test run. Each value is stored under
// a typed key, so a reader gets the type the writer stored without a cast.

declare const valueType: unique symbol;

/** A name and, at the type level only, the type of the value stored under it. */
export interface ResultKey<T> {
  readonly name: string;
  /** Never set: makes keys of different value types different (and invariant) types. */
  readonly [valueType]?: (value: T) => T;
}

/** Keys are compared by name, so a key made per container (`build.shell:<id>`) finds its value again. */
export function resultKey<T>(name: string): ResultKey<T> {
  return { name };
}

/** Keys of one kind per member (`pushed:<ref>`), which a report lists in the order they were set. */
export interface ResultFamily<T> {
  readonly prefix: string;
  key(member: string): ResultKey<T>;
}

export function resultFamily<T>(prefix: string): ResultFamily<T> {
  return { prefix, key: (member) => resultKey<T>(`${prefix}${member}`) };
}

export class Results {
  readonly #values = new Map<string, unknown>();

  get<T>(key: ResultKey<T>): T | undefined {
    // The one assertion of the channel: only set() with a key of the same T stores under this name.
    return this.#values.get(key.name) as T | undefined;
  }

  set<T>(key: ResultKey<T>, value: T): void {
    this.#values.set(key.name, value);
  }

  /** Every member of the family that has a value, as [member, value], in the order they were first set. */
  entries<T>(family: ResultFamily<T>): [string, T][] {
    const out: [string, T][] = [];
    for (const name of this.#values.keys()) {
      if (name.startsWith(family.prefix)) {
        const member = name.slice(family.prefix.length);
        out.push([member, this.get(family.key(member))!]);
      }
    }
    return out;
  }

  has(key: { readonly name: string }): boolean {
    return this.#values.has(key.name);
  }

  delete(key: { readonly name: string }): void {
    this.#values.delete(key.name);
  }
}
