// Runs an async step over a list with a bounded number in flight: the pool of workers that each take the
// next item until none is left. The first error rejects (steps already started run to their end), and an
// aborted signal stops workers from taking more items.
export async function forEachBounded<T>(items: readonly T[], parallel: number, step: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      signal?.throwIfAborted();
      await step(items[next++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, parallel), items.length) }, worker));
}
