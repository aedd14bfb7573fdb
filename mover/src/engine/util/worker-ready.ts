// A worker thread's first message says that it has loaded its modules. A pool tells its caller when it
// starts worker threads and when they have all loaded (or failed): the CLI sets its V8 heap flags aside in
// between (cli/heap-flags.ts), so that the workers load Node's built-in modules from its code cache.
// This thread compiles the workers' modules for the compile cache inside that window too: V8 rejects a code
// cache written under other flags, so a module compiled here with the flags and in the workers without them
// was compiled again by every thread on every run, each writing the cache the other rejects (restore: 13
// modules three times over, ~50 ms of CPU).
import type { MessagePort, Worker } from 'node:worker_threads';
import { prepareWorkerModule, shareCompiledModules } from './worker-modules.ts';

/** Called before a pool starts its worker threads; the call it returns is made once they have loaded. */
export type WorkersStarting = () => () => void;

export const WORKER_READY = 'cairn-worker-ready';

/** Sent by a worker at the end of its module's top level (after all its imports have loaded). */
export function signalReady(port: MessagePort | null): void {
  port?.postMessage(WORKER_READY);
}

/**
 * Imports `entry` (the threads' module) on this thread, writes the compile cache (worker-modules.ts) and runs
 * `start`, which starts a pool's worker threads, all between telling `starting` and the moment they have all
 * loaded (or failed): `workers` lists those started, also when `start` threw part of the way. `start` may
 * start none (a pool closed meanwhile). Rejects with what `start` threw.
 */
export async function startWorkers(starting: WorkersStarting | undefined, entry: URL, workers: () => readonly Worker[], start: () => void): Promise<void> {
  const loaded = starting?.();
  try {
    await prepareWorkerModule(entry);
    shareCompiledModules();
    start();
  } finally {
    if (loaded !== undefined) whenAllReady(workers(), loaded);
  }
}

/** Calls `done` once, when each worker has signalled ready, failed or exited. */
export function whenAllReady(workers: readonly Worker[], done: () => void): void {
  let pending = workers.length;
  if (pending === 0) done();
  for (const worker of workers) {
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      worker.off('message', onMessage);
      if (--pending === 0) done();
    };
    const onMessage = (msg: unknown): void => {
      if (msg === WORKER_READY) settle();
    };
    worker.on('message', onMessage);
    worker.once('error', settle);
    worker.once('exit', settle);
  }
}
