// The V8 heap flags bin/cairn.mjs starts Node with (--max-semi-space-size, --heap-growing-percent: why, there)
// are set aside while the CLI's modules load and applied again once the command's implementation has loaded.
// Any V8 flag that differs from its default changes V8's flag hash, and V8 then rejects the code cache Node
// embeds for its built-in modules: each one the CLI loads (crypto, zlib, streams, worker_threads, ...) is
// compiled again, ~40 ms of start-up (`cairn --version`: 0.157 -> 0.120 s without the flags). The heap's
// sizes are fixed when it is set up, before any of this runs, and nothing collects enough garbage while the
// modules load for the growth factor to matter; from the command's first step on, the flags are as given.
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
