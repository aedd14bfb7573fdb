// Preloaded into cairn by the bench's "memory" run only (NODE_OPTIONS=--import this file; Node loads it into
// every worker thread too): samples each thread's V8 heap, ArrayBuffers and other external memory every
// 20 ms. Workers write their latest sample to CAIRN_BENCH_MEMORY_DIR/<thread>.json; whenever the process's
// RSS reaches a new peak the main thread records every thread's sample of that moment, so the table says
// where the peak's MiB were, not each thread's own maximum at different times. Never shipped in a path the
// CLI takes: bin/cairn.mjs does not load it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

export interface ThreadSample {
  readonly thread: string;
  /** The V8 heap's resident pages (committed pages never touched, or given back, do not count in RSS). */
  readonly heapPhysical: number;
  readonly heapUsed: number;
  readonly arrayBuffers: number;
  /** External memory other than ArrayBuffers (native objects V8 was told about). */
  readonly otherExternal: number;
}

export interface PeakBreakdown {
  readonly rss: number;
  readonly threads: readonly ThreadSample[];
}

const dir = process.env['CAIRN_BENCH_MEMORY_DIR'];

function sample(): ThreadSample {
  const m = process.memoryUsage();
  return {
    thread: isMainThread ? 'main' : `worker ${threadId}`,
    heapPhysical: getHeapStatistics().total_physical_size, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, otherExternal: Math.max(0, m.external - m.arrayBuffers),
  };
}

if (dir !== undefined) {
  let peak: PeakBreakdown = { rss: 0, threads: [] };
  const tick = (): void => {
    const own = sample();
    if (!isMainThread) {
      writeFileSync(join(dir, `${threadId}.json`), JSON.stringify(own));
      return;
    }
    const rss = process.memoryUsage.rss();
    if (rss <= peak.rss) return;
    const workers: ThreadSample[] = [];
    for (const f of readdirSync(dir)) {
      if (!/^\d+\.json$/.test(f)) continue;
      try {
        workers.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as ThreadSample);
      } catch {
        // being rewritten right now: the next tick has it
      }
    }
    peak = { rss, threads: [own, ...workers] };
  };
  setInterval(tick, 20).unref();
  if (isMainThread) process.on('exit', () => writeFileSync(join(dir, 'peak.json'), JSON.stringify(peak)));
}
