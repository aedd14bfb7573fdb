import { describe, expect, it } from 'vitest';
import { globSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import module from 'node:module';
import { COMPILE_CACHE_DIR, workerEntries } from './compile-cache.ts';

const root = resolve(import.meta.dirname, '../..');

describe('compile cache for test worker threads', () => {
  it('covers every module the engine starts a worker thread from', () => {
    const started = new Set<string>();
    for (const f of globSync('mover/src/**/*.ts', { cwd: root }).filter((f) => !/\.(test|itest)\.ts$/.test(f))) {
      const text = readFileSync(join(root, f), 'utf8');
      if (!text.includes('new Worker(')) continue;
      for (const m of text.matchAll(/new URL\('\.\/([^']+\.ts)', import\.meta\.url\)/g)) started.add(m[1]!);
    }
    expect(started.size).toBeGreaterThanOrEqual(3);
    expect([...started].sort()).toEqual(workerEntries().map((f) => basename(f)).sort());
  });

  it('lets a test worker thread load the engine without the type stripper', async () => {
    expect(process.env['NODE_COMPILE_CACHE']).toBe(COMPILE_CACHE_DIR);
    expect(module.getCompileCacheDir()).toBeUndefined(); // the test process itself runs without one
    const entry = pathToFileURL(join(root, 'mover/src/engine/restore/restore-worker.ts')).href;
    // The entry fails at its top level without its workerData; by then its modules have loaded.
    const code = `const { parentPort } = await import('node:worker_threads');
      await import(${JSON.stringify(entry)}).catch(() => undefined);
      parentPort.postMessage(process.moduleLoadList.filter((m) => m.includes('amaro') || m.includes('typescript')));`;
    const worker = new Worker(code, { eval: true });
    const loaded = await new Promise<string[]>((res, rej) => {
      worker.once('message', res);
      worker.once('error', rej);
    });
    await worker.terminate();
    expect(loaded).toContain('NativeModule internal/modules/typescript'); // it did load TypeScript modules...
    expect(loaded.filter((m) => m.includes('amaro'))).toEqual([]); // ...all from the cache
  });
});
