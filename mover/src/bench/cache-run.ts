// Run "cache": an unchanged backup of a small tree to a repository on the pinned MinIO that already holds
// --cache-snapshots snapshots (default 10,000), (a) without a cache, (b) with an empty --cache-dir, (c) with
// that cache warm. The history is built fast: one real `cairn snapshot create`, then copies of its manifest
// written in-process through the engine, flushed every 100 — so there are many index blobs and metadata
// packs, as a long real history would have (before compaction). Each measured run reports its own storage
// requests in `--json` (`storage`), counted below the cache.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMinio } from '../../../e2e/support/minio.ts';
import { findTool } from '../../../e2e/support/tools.ts';
import { openBlobStore } from '../engine/blob/open-blob-store.ts';
import { openRepository } from '../engine/repo/open-repository.ts';
import { listSnapshots, saveSnapshot } from '../engine/snapshot/snapshot-manager.ts';
import type { BenchArgs } from './bench-args.ts';
import { formatBytes } from './byte-size.ts';
import { onCleanup, scratchDir } from './cleanup.ts';
import { availablePeers, makePeer, type RepoTarget } from './peer-commands.ts';
import { printTable, ratio, type Cell } from './summary-table.ts';
import { mustSucceed, timedCommand, type TimedResult } from './timed-command.ts';

const TITLE = 'cache: unchanged backup of a long history on MinIO, with and without --cache-dir';
const BUCKET = 'cairn-bench-cache';
const FLUSH_EVERY = 100;

interface StorageFigures {
  readonly gets: number;
  readonly getBytes: number;
  readonly lists: number;
  readonly cache?: { readonly hits: number; readonly misses: number };
}

/** The `snapshot create --json` document among the command's log lines (pino records carry `level`). */
async function storageOf(r: TimedResult): Promise<StorageFigures> {
  for (const line of (await readFile(r.log, 'utf8')).split('\n')) {
    if (!line.startsWith('{')) continue;
    const doc = JSON.parse(line) as Record<string, unknown>;
    if (doc['level'] === undefined && typeof doc['storage'] === 'object' && doc['storage'] !== null) return doc['storage'] as StorageFigures;
  }
  throw new Error(`no --json result with storage figures in ${r.log}`);
}

export async function cacheRun(args: BenchArgs): Promise<void> {
  if (findTool('minio') === undefined) {
    printTable(TITLE, ['outcome'], [['skipped: minio is not installed (bash e2e/tools/install.sh)']]);
    return;
  }
  const { dir, remove } = await scratchDir('cache');
  let stopMinio: (() => Promise<void>) | undefined;
  try {
    const minio = await startMinio({ dir: join(dir, 'minio') });
    stopMinio = onCleanup('MinIO', () => minio.stop());
    await minio.createBucket(BUCKET);
    const target: RepoTarget = {
      kind: 's3', endpoint: minio.endpoint, region: minio.region, bucket: BUCKET, prefix: 'history/',
      accessKey: minio.accessKey, secretKey: minio.secretKey,
    };
    const peer = makePeer('cairn', availablePeers().get('cairn')!, join(dir, 'cairn'), target);
    const { CAIRN_CACHE_DIR: _, ...env } = peer.env; // every cache below is given explicitly
    const run = async (label: string, cmd: readonly string[]): Promise<TimedResult> => {
      console.error(`bench cache: ${label}`);
      return mustSucceed(label, await timedCommand(cmd, { env, log: join(dir, `${label.replace(/\W+/g, '-')}.log`) }));
    };

    const src = join(dir, 'src');
    for (let d = 0; d < 10; d++) {
      await mkdir(join(src, `dir${d}`), { recursive: true });
      for (let f = 0; f < 20; f++) await writeFile(join(src, `dir${d}`, `file${f}.txt`), `dir ${d} file ${f}\n`.repeat(50 * (f + 1)));
    }
    for (const cmd of peer.init) await run('repository create', cmd);
    await run('first backup', peer.backup(src));

    console.error(`bench cache: writing ${args.cacheSnapshots - 1} more snapshot manifests, flushed every ${FLUSH_EVERY}`);
    const url = `s3://${BUCKET}/${target.prefix}?endpoint=${encodeURIComponent(minio.endpoint)}&region=${minio.region}`;
    const store = await openBlobStore(url, { credentials: minio.credentials });
    const repo = await openRepository(store, env['CAIRN_PASSWORD']!);
    try {
      const [first] = await listSnapshots(repo.manifests);
      if (first === undefined) throw new Error('the first backup left no snapshot');
      const t0 = Date.parse(first.startTime);
      for (let i = 1; i < args.cacheSnapshots; i++) {
        // older than the real one, a minute apart: the real snapshot stays the latest of its source
        const start = new Date(t0 - i * 60_000);
        await saveSnapshot(repo.manifests, { ...first, id: '', startTime: start.toISOString(), endTime: new Date(start.getTime() + 1000).toISOString() });
        if (i % FLUSH_EVERY === 0) await repo.flush();
      }
      await repo.flush();
    } finally {
      await repo.close();
    }

    const backup = (cacheDir?: string): string[] => [...peer.backup(src), '--json', '--log-level', 'warn',
      ...(cacheDir === undefined ? [] : ['--cache-dir', cacheDir])];
    const cacheDir = join(dir, 'cache-dir');
    const steps: [string, TimedResult][] = [
      ['(a) no cache', await run('unchanged backup, no cache', backup())],
      ['(b) cache cold', await run('unchanged backup, cache cold', backup(cacheDir))],
      ['(c) cache warm', await run('unchanged backup, cache warm', backup(cacheDir))],
    ];
    const base = steps[0]![1].wallSeconds;
    const rows: Cell[][] = [];
    for (const [label, r] of steps) {
      const s = await storageOf(r);
      rows.push([label, r.wallSeconds, String(s.gets), formatBytes(s.getBytes), String(s.lists),
        s.cache === undefined ? '-' : `${s.cache.hits} / ${s.cache.misses}`, `${ratio(r.wallSeconds, base)?.toFixed(2) ?? '-'}x`]);
    }
    printTable(TITLE, ['unchanged backup', 'wall s', 'GETs', 'downloaded', 'LISTs', 'cache hits / misses', 'time vs (a)'], rows,
      [`${args.cacheSnapshots.toLocaleString('en-US')} snapshots of one source (one real, the rest manifest copies flushed every ${FLUSH_EVERY}), ` +
        `a 200-file tree; MinIO ${minio.endpoint} on loopback`,
      'each run adds one snapshot; GETs/LISTs are the requests that reached storage (cairn --json `storage`), wall time includes start-up',
      'target: (c) downloads no index blob or metadata pack (GETs of those = cache misses = 0)']);
  } finally {
    await stopMinio?.();
    await remove();
  }
}
