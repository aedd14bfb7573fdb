// Runs an async step over a list with a bounded number in flight: a pool of workers that each take the
// next item until none is left. After the first failure (a step's error, or the signal aborting) no worker
// takes another item; the call rejects with that first error once the steps already started have ended,
// so nothing runs on behind the caller's back and later errors never surface as unhandled rejections.
export async function forEachBounded<T>(
  items: readonly T[],
  parallel: number,
  step: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      if (signal?.aborted === true) {
        failure = { error: signal.reason };
        return;
      }
      const i = next++;
      try {
        await step(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const width = Number.isFinite(parallel) ? Math.max(1, Math.floor(parallel)) : 1;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

/** forEachBounded that collects each step's result at its item's index. */
export async function mapBounded<T, R>(
  items: readonly T[],
  parallel: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachBounded(items, parallel, async (item, i) => {
    out[i] = await fn(item, i);
  }, signal);
  return out;
}
