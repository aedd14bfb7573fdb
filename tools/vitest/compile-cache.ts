// Node's compile cache for the worker threads that tests start, filled before any test runs (vitest
// globalSetup of the unit and integration projects).
//
// Why: a worker thread loads its TypeScript modules through Node's type stripper, which runs as WebAssembly
// in each thread. Node 24.9's V8 can crash the whole process (SIGTRAP, "Check failed: jit_page.has_value()"
// in WasmCodeAllocator::FreeCode under Runtime_TierUpWasmToJSWrapper) when threads of one process tier up
// and free the stripper's wasm-to-JS wrappers at once; restore tests start and stop hundreds of writer
// threads, and a test process died this way in about one full run of two. A module found in the compile
// cache is not stripped again, so with every worker's module graph compiled here first, no test's worker
// thread runs the stripper at all.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');

/** Inside the clone (`.cache/` is ignored); Node keys its entries by its own version and by each file's content. */
export const COMPILE_CACHE_DIR = join(root, '.cache', 'node-compile-cache');

/** Every module a worker thread starts from: the engine's `*-worker.ts` (compile-cache.test.ts checks that no other is started). */
export function workerEntries(): string[] {
  return globSync('mover/src/**/*-worker.ts', { cwd: root }).filter((f) => !f.endsWith('.test.ts')).sort();
}

/**
 * Compiles each worker entry and all it imports in one thread of one Node process, into COMPILE_CACHE_DIR.
 * Importing an entry outside a worker fails at its top level (no workerData): by then its graph has compiled.
 */
export function setup(): void {
  const urls = workerEntries().map((f) => pathToFileURL(join(root, f)).href);
  const script = `for (const u of ${JSON.stringify(urls)}) await import(u).catch(() => undefined);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '--no-warnings', '-e', script], {
    cwd: root, env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE_DIR }, encoding: 'utf8', timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`filling the compile cache ${COMPILE_CACHE_DIR} failed (exit ${r.status}): ${r.stderr || r.error?.message}`);
}
