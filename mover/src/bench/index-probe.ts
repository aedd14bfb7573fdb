// The measuring side of the "index" bench run, in a fresh process (`scale-child.ts probe-index`): the memory
// a loaded committed index costs per content, through the content manager's normal open path (list, fetch,
// decrypt, parse, merge), its load time and the cost of random lookups. Needs node --expose-gc so that the
// before/after figures hold live memory, not garbage waiting for a collection.
import { openBlobStore } from '../engine/blob/open-blob-store.ts';
import { ContentManager } from '../engine/content/content-manager.ts';
import { openRepositoryFormat } from '../engine/format/open-repository-format.ts';
import { benchContentId } from './scale-repo.ts';

export interface IndexProbeResult {
  readonly contents: number;
  readonly loadSeconds: number;
  /** Deltas of process.memoryUsage() across the load, bytes. */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly externalBytes: number;
  readonly arrayBuffersBytes: number;
  readonly lookups: number;
  readonly lookupNs: number;
  readonly hits: number;
}

function collect(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('index probe: run node with --expose-gc');
  gc();
  gc();
  return process.memoryUsage();
}

export async function probeIndex(repoDir: string, password: string, n: number, lookups: number): Promise<IndexProbeResult> {
  const store = await openBlobStore(`file://${repoDir}`, { readOnly: true });
  const format = await openRepositoryFormat(store, password);
  // the probe's own IDs exist before the baseline, so they are not counted as index memory
  const ids: string[] = new Array<string>(lookups);
  let seed = 12345;
  for (let i = 0; i < lookups; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    ids[i] = benchContentId(seed % n);
  }
  const before = collect();
  const started = process.hrtime.bigint();
  const contents = await ContentManager.open(store, format);
  const loadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = collect();
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (const id of ids) if (contents.contentInfo(id) !== undefined) hits++;
  const lookupNs = Number(process.hrtime.bigint() - t0) / lookups;
  await store.close();
  return {
    contents: n, loadSeconds,
    rssBytes: after.rss - before.rss,
    heapUsedBytes: after.heapUsed - before.heapUsed,
    externalBytes: after.external - before.external,
    arrayBuffersBytes: after.arrayBuffers - before.arrayBuffers,
    lookups, lookupNs, hits,
  };
}
