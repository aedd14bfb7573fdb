// Worker threads load their modules from Node's compile cache: the main thread imports a worker's module
// (which does nothing outside a worker) with all it imports, and writes the cache before the threads start.
// Why: a thread that meets a TypeScript module missing from the cache loads Node's type stripper, a
// WebAssembly module, into its own isolate. In a mover pod the cache starts empty on every run (it lives in
// the pod's /tmp), so every hashing, listing and restore thread did: a first backup of the shared dataset
// peaked at 314-325 MiB with an empty cache against 266-278 MiB with a full one. And Node 24.9's V8 can kill
// the process (SIGTRAP, "Check failed: jit_page.has_value()" in WasmCodeAllocator::FreeCode) when threads
// tier up the stripper's wasm-to-JS wrappers at the same time; restore tests that start and stop hundreds of
// threads met it. With this, 294-304 MiB with an empty cache.
// A pool imports when it is about to start its threads, not before (an unchanged backup starts no hashing
// thread and imports nothing). The import takes ~1 ms when the cache is full and a few when it is empty
// (the main thread has the stripper loaded already); writing the cache takes ~0.1 ms when nothing is new.
import module from 'node:module';

const imports = new Map<string, Promise<void>>();

/**
 * Starts importing `entry` on this thread, once, when the process has a compile cache (bin/cairn.mjs turns
 * it on). Never rejects: a failure only means the worker compiles what it needs itself, as without a cache.
 */
export function prepareWorkerModule(entry: URL): Promise<void> {
  if (module.getCompileCacheDir() === undefined) return Promise.resolve();
  let done = imports.get(entry.href);
  if (done === undefined) {
    done = import(entry.href).then(() => undefined, () => undefined);
    imports.set(entry.href, done);
  }
  return done;
}

/** Writes what this thread has compiled to the compile cache: startWorkers (worker-ready.ts) calls it right before threads start. */
export function shareCompiledModules(): void {
  if (module.getCompileCacheDir() !== undefined) module.flushCompileCache();
}
