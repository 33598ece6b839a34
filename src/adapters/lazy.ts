// A port whose adapter module is imported on its first call. dockerode (with its gRPC transport)
// and ssh2 cost more start-up time than most commands take to run (README, "Performance"): a command
// that never talks to Docker or SSH must not load them. Only ports whose methods all return
// promises qualify; their plain properties (a name) are given up front, so reading them loads
// nothing.

type Fn = (...args: never[]) => unknown;
/** The keys of T that are methods returning a promise. */
type AsyncKeys<T> = { [K in keyof T]-?: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];
/** Every key is either given up front or an async method: a sync method could not wait for the import. */
type Lazyable<T, S extends keyof T> = Exclude<keyof T, S | AsyncKeys<T>> extends never ? T : never;

export interface LazyOptions<T> {
  /** Methods that are no-ops while nothing was loaded (close: nothing to close). */
  idleNoOps?: readonly (keyof T)[];
}

export function lazyPort<T extends object, S extends keyof T = never>(
  load: () => Promise<Lazyable<T, S>>,
  statics: Pick<T, S>,
  opts: LazyOptions<T> = {},
): T {
  let loading: Promise<T> | undefined;
  const idle = new Set<PropertyKey>(opts.idleNoOps ?? []);
  const methods = new Map<PropertyKey, Fn>();
  return new Proxy(statics as T, {
    get(target, prop, receiver) {
      if (Reflect.has(target, prop)) return Reflect.get(target, prop, receiver);
      // Not a thenable: `await port` must give the port, not call a lazily loaded `then`.
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      let method = methods.get(prop);
      if (!method) {
        method = async (...args: never[]) => {
          if (!loading && idle.has(prop)) return undefined;
          const port = await (loading ??= load());
          const fn = (port as Record<PropertyKey, unknown>)[prop];
          if (typeof fn !== 'function') throw new TypeError(`port has no method ${String(prop)}`);
          return (fn as Fn).apply(port, args);
        };
        methods.set(prop, method);
      }
      return method;
    },
  });
}
