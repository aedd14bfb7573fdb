// Preloaded into cairn by the bench's "memory" run only (NODE_OPTIONS=--import this file; Node loads it into
// every worker thread too): samples each thread's V8 heap, ArrayBuffers and other external memory every
// 20 ms. Workers write their latest sample to CAIRN_BENCH_MEMORY_DIR/<thread>.json; whenever the process's
// RSS reaches a new peak the main thread records every thread's sample of that moment, so the table says
// where the peak's MiB were, not each thread's own maximum at different times, with the share of that RSS
// that is file pages (the node binary and shared libraries, from /proc/self/smaps_rollup), and at exit how
// much of the node binary is resident (its pages stay mapped once touched). Never shipped in a path the CLI
// takes: bin/cairn.mjs does not load it.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
  /** Of `rss`, file-backed pages (Rss - Anonymous in smaps_rollup); undefined where /proc has no rollup. */
  readonly fileRss?: number | undefined;
  /** The node binary's resident pages at exit. */
  readonly nodeBinaryRss?: number | undefined;
  readonly threads: readonly ThreadSample[];
}

/** `Rss: N kB` style fields of a /proc smaps file, in bytes. */
function kbField(text: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]) * 1024;
}

function fileRss(): number | undefined {
  try {
    const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const rss = kbField(rollup, 'Rss');
    const anon = kbField(rollup, 'Anonymous');
    return rss === undefined || anon === undefined ? undefined : rss - anon;
  } catch {
    return undefined;
  }
}

/** The resident pages of the mappings of this process's own executable. */
function nodeBinaryRss(): number | undefined {
  try {
    let total = 0;
    let own = false;
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) own = line.endsWith(` ${process.execPath}`);
      else if (own && line.startsWith('Rss:')) total += kbField(line, 'Rss') ?? 0;
    }
    return total;
  } catch {
    return undefined;
  }
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
      // renamed into place: a sample read while being written was skipped, and with it the thread, at the peak
      writeFileSync(join(dir, `${threadId}.tmp`), JSON.stringify(own));
      renameSync(join(dir, `${threadId}.tmp`), join(dir, `${threadId}.json`));
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
        // never expected (samples are renamed into place): the probe must not fail the run it measures
      }
    }
    peak = { rss, fileRss: fileRss(), threads: [own, ...workers] };
  };
  setInterval(tick, 20).unref();
  if (isMainThread) process.on('exit', () => writeFileSync(join(dir, 'peak.json'), JSON.stringify({ ...peak, nodeBinaryRss: nodeBinaryRss() })));
}
