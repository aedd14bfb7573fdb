#!/usr/bin/env -S node --max-semi-space-size=16 --heap-growing-percent=50 --v8-pool-size=2
// Entry point for `npx cairn`: Node 24 runs the TypeScript sources directly (type stripping), so there is no
// build step and no build output to ship. The compile cache keeps start-up short on repeated runs.
// --max-semi-space-size=16: a backup allocates short-lived objects per file (stats, names, listing entries);
// with 16 MiB young-generation halves most of them die there instead of filling the old generation between
// its collections (200,000 files, unchanged backup: peak RSS 364-393 -> 267-278 MiB, same time).
// --heap-growing-percent=50: after a full collection the old generation may grow by half of what survived
// before the next one (V8 lets it grow up to 4x while the mutator allocates fast). Files in flight live
// across young collections, so a first backup of many small files promotes most of its per-file garbage:
// 1,000,000 files, peak RSS 752 -> 577 MiB (unchanged backup 289 -> 241), CPU time within the noise.
// Both are set aside while the CLI's modules load (mover/src/cli/heap-flags.ts: built-in modules load faster).
// --v8-pool-size=2: V8's background threads (optimizing compiles and GC for every isolate: main, listing,
// hashing and restore threads), 4 by default whatever the cores. On 2 cores the 4 took CPU from the main and
// listing threads in the short runs: unchanged backup of the shared dataset -31 ms (20 alternated pairs,
// 386 -> 348 ms median), first backup and restore within the noise. A Node option, not a V8 flag: it does not
// change the flag hash the code caches are checked against. 1 thread (=0 here) was as fast but peaked 5 MiB higher.
// Not set: MALLOC_MMAP_THRESHOLD_=262144 (glibc) cut a first backup of 300,000 small files from ~300 to ~265 MiB,
// but every decompressed chunk of a restore then got fresh pages (restore 4.1 -> 5.5 s, +1.4 s system time);
// with MALLOC_TRIM_THRESHOLD_ raised too, restores were as fast but the shared dataset's backup peaked higher.
import module from 'node:module';
import v8 from 'node:v8';

// A signal that arrives while the CLI's modules load, before main() has its handlers, is kept and handed to
// them: in a mover pod the CLI is PID 1 of its container, and the kernel drops a signal PID 1 does not handle,
// so a pod deleted in its first moments (loading takes ~0.5 s with the cold compile cache of a new pod) would
// otherwise run on to the end of its grace period.
const early = [];
const keep = (signal) => { early.push(signal); };
process.on('SIGINT', keep);
process.on('SIGTERM', keep);
// The heap flags are set aside until the command's implementation has loaded (mover/src/cli/heap-flags.ts,
// whose deferHeapFlags this is), and before the compile cache is turned on: Node names the cache's directory
// after V8's flag hash, and worker threads, which start with the flags aside, must find the main thread's.
for (const flag of process.execArgv) {
  if (/^--(max-semi-space-size|heap-growing-percent)=\d+$/.test(flag)) v8.setFlagsFromString(flag.replace(/=\d+$/, '=0'));
}
const compileCache = module.enableCompileCache?.();
// Worker threads read the cache directory from their environment (a copy of process.env taken when each
// starts); their modules are compiled into it by the main thread first (engine/util/worker-modules.ts).
if (compileCache?.directory !== undefined) process.env['NODE_COMPILE_CACHE'] ??= compileCache.directory;
process.removeAllListeners('warning');
process.on('warning', (w) => { if (w.name !== 'ExperimentalWarning') console.error(w.toString()); });
const { main } = await import('../mover/src/cli/main.ts');
const run = main(process.argv.slice(2)); // installs the CLI's signal handlers before its first await
process.removeListener('SIGINT', keep);
process.removeListener('SIGTERM', keep);
for (const signal of early) process.emit(signal, signal);
process.exitCode = await run;
