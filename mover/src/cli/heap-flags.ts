// The V8 heap flags bin/cairn.mjs starts Node with (--max-semi-space-size, --heap-growing-percent: why, there)
// are set aside while modules load: the CLI's own, until the command's implementation has loaded, the
// repository's (loaded when the command opens it), and a worker pool's, until its threads say they have loaded
// (engine/util/worker-ready.ts). V8 also rejects a code cache written under other flags: a module that the
// main thread compiled with the flags and a worker without them was compiled again by each on every run.
// Any V8 flag that differs from its default changes V8's flag hash, and V8 then rejects the code cache Node
// embeds for its built-in modules: each one the CLI loads (crypto, zlib, streams, worker_threads, ...) is
// compiled again, ~40 ms of start-up (`cairn --version`: 0.157 -> 0.120 s without the flags), and each
// worker thread compiles its own copy of all it loads (two hashing workers loading the engine: 165-193 ms
// with the flags, 114-141 without). The main heap's sizes are fixed when it is set up, before any of this
// runs, and a worker's young generation is given by its resourceLimits instead of the flag; the growth
// factor is read at each collection, so the main thread runs without it only while modules load.
import { setFlagsFromString } from 'node:v8';

const HEAP_FLAG = /^--(max-semi-space-size|heap-growing-percent)=\d+$/;

function heapFlags(execArgv: readonly string[]): string[] {
  return execArgv.filter((a) => HEAP_FLAG.test(a));
}

/** Resets this process's heap flags to V8's defaults (0) while modules load. */
export function deferHeapFlags(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of heapFlags(execArgv)) setFlagsFromString(flag.replace(/=\d+$/, '=0'));
}

/** Applies the heap flags the process was started with again (idempotent). */
export function applyHeapFlags(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of heapFlags(execArgv)) setFlagsFromString(flag);
}

let starting = 0;

/**
 * For a worker pool (WorkersStarting): sets the heap flags aside while its threads start and returns the
 * call that ends it (once; the flags come back when the last pool still starting has ended its own).
 */
export function setAsideHeapFlagsWhileStarting(execArgv: readonly string[] = process.execArgv): () => void {
  if (starting++ === 0) deferHeapFlags(execArgv);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--starting === 0) applyHeapFlags(execArgv);
  };
}

/**
 * Starts `load` (an import of more of the CLI's modules) with the heap flags aside until it settles, as while
 * the command's implementation loads; the flags come back when no pool is starting either.
 */
export function loadWithHeapFlagsAside<T>(load: () => Promise<T>, execArgv: readonly string[] = process.execArgv): Promise<T> {
  const end = setAsideHeapFlagsWhileStarting(execArgv);
  const loading = load();
  loading.then(end, end);
  return loading;
}
