/**
 * Per-worker memoisation of the experiments' expensive asynchronous loads (prepared datasets, step-size searches):
 * every trial of a worker that asks for the same thing shares one promise instead of repeating the work.
 */

/**
 * `load` memoised by `key`: the first call with a given key starts `load(args)` and every later call with the same
 * key returns that same promise, settled or not. A load that rejects is forgotten as soon as it does, so the next
 * call starts it again rather than replaying the error for the life of the worker (a missing file installed
 * meanwhile, a transient read error). `key` must map arguments that give the same result to the same string
 * (e.g. `JSON.stringify` of the fields that decide it).
 */
export function memoizeAsync<A, T>(key: (args: A) => string, load: (args: A) => Promise<T>): (args: A) => Promise<T> {
  const pending = new Map<string, Promise<T>>();
  return (args) => {
    const k = key(args);
    let result = pending.get(k);
    if (!result) {
      result = load(args);
      pending.set(k, result);
      result.catch(() => pending.delete(k));
    }
    return result;
  };
}
