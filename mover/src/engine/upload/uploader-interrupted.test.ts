// Interruptions behave as documented (issue 8, item 5), at the engine level where every moment can be hit
// exactly: an abort at any moment before the commit point commits nothing (no index blob, no snapshot);
// one that comes while the commit write is already in flight lets it finish; and a run that failed for lack
// of space is retried with the packs it stored reused, not uploaded again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listAll, type BlobStore } from '../blob/blob-store.ts';
import { StoragePermissionError } from '../blob/blob-errors.ts';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { createRepository, openRepository } from '../repo/open-repository.ts';
import { restoreEntry } from '../restore/restore.ts';
import { listSnapshots } from '../snapshot/snapshot-manager.ts';
import { Uploader } from './uploader.ts';
import type { DirectoryIgnoreMatcher } from '../policy/ignore-rules.ts';

const SOURCE = { host: 'h', userName: 'u', path: '/src' };
const MIB = 1024 * 1024;

let work: string;
let src: string;
let total = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-interrupt-'));
  src = join(work, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  // Incompressible, so that stored bytes ~ source bytes: ~3 data packs of 10 MiB.
  for (const [name, size] of [['a.bin', 12 * MIB], ['b.bin', 9 * MIB], ['sub/c.bin', 7 * MIB], ['small.txt', 100]] as const) {
    await writeFile(join(src, name), randomBytes(size));
    total += size;
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A store that calls `onPut` before each put (to abort or fail at an exact moment). */
function hooked(inner: BlobStore, onPut: (id: string) => void): BlobStore {
  return Object.assign(Object.create(inner) as BlobStore, {
    put: async (id: string, data: Uint8Array, options?: Parameters<BlobStore['put']>[2]) => {
      onPut(id);
      return inner.put(id, data, options);
    },
  });
}

async function newStore(): Promise<MemoryBlobStore> {
  const store = new MemoryBlobStore();
  await createRepository(store, 'pw', { maxPackSize: 10 * MIB });
  return store;
}

async function backup(store: BlobStore, options: { signal?: AbortSignal; ignoreHook?: (name: string) => void } = {}) {
  const repo = await openRepository(store, 'pw', { username: 'u', hostname: 'h' });
  const scope: DirectoryIgnoreMatcher = { relDir: '', ignoreFileNames: [], ignores: (name) => (options.ignoreHook?.(name), false), forDirectory: () => scope };
  try {
    return await new Uploader(repo, {
      sourcePath: src, source: SOURCE, workers: 2, previous: null,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.ignoreHook !== undefined ? { ignore: scope } : {}),
    }).run();
  } finally {
    await repo.close();
  }
}

async function snapshotsIn(store: BlobStore): Promise<number> {
  const repo = await openRepository(store, 'pw');
  try {
    return (await listSnapshots(repo.manifests, SOURCE)).length;
  } finally {
    await repo.close();
  }
}

describe('an interrupted snapshot create', () => {
  const moments: [string, (id: string) => boolean, boolean][] = [
    ['at the session marker, before the first pack', (id) => id.startsWith('s'), false],
    ['at the first data pack', (id) => id.startsWith('p'), false],
    // The metadata pack is stored by the final flush, after the snapshot manifest was saved: the case that
    // used to commit anyway.
    ['after the walk and the snapshot manifest, at the metadata pack', (id) => id.startsWith('q'), false],
    ['while the commit write is in flight (too late: the run completes)', (id) => id.startsWith('xn'), true],
  ];
  for (const [moment, when, commits] of moments) {
    it(`${commits ? 'completes' : 'commits nothing'} when aborted ${moment}`, async () => {
      const store = await newStore();
      const abort = new AbortController();
      const run = backup(hooked(store, (id) => {
        if (when(id)) abort.abort();
      }), { signal: abort.signal });
      if (commits) {
        await expect(run).resolves.toMatchObject({ snapshotId: expect.any(String) });
        expect(await snapshotsIn(store)).toBe(1);
      } else {
        await expect(run).rejects.toMatchObject({ code: 'INTERRUPTED', message: expect.stringContaining('nothing was committed') });
        expect((await listAll(store, 'xn')).length).toBe(0);
        expect(await snapshotsIn(store)).toBe(0);
      }
      expect(abort.signal.aborted).toBe(true);
    });
  }

  it('commits nothing when aborted during the walk', async () => {
    const store = await newStore();
    const abort = new AbortController();
    await expect(backup(store, { signal: abort.signal, ignoreHook: () => abort.abort() })).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(await snapshotsIn(store)).toBe(0);
  });
});

describe('a snapshot create that ran out of space', () => {
  it('is retried once space is freed, reusing the packs it stored instead of uploading them again', async () => {
    const store = await newStore();
    let dataPacks = 0;
    const full = hooked(store, (id) => {
      if (id.startsWith('p') && ++dataPacks > 2) throw new StoragePermissionError(`cannot write ${id}: no space left (ENOSPC)`);
    });
    await expect(backup(full)).rejects.toMatchObject({ code: 'STORAGE_PERMISSION' });
    // Two data packs made it, and the metadata pack the failing run's final flush stored before it gave up.
    const packs = [...await listAll(store, 'p'), ...await listAll(store, 'q')];
    const stored = packs.reduce((n, b) => n + b.length, 0);
    expect(packs.filter((p) => p.id.startsWith('p')).length).toBe(2);
    expect(await snapshotsIn(store)).toBe(0);

    const retry = await backup(store);
    expect(retry.progress.resumedPacks).toBe(packs.length);
    expect(retry.progress.resumedBytes).toBe(stored);
    // Only what the first run had not stored is uploaded again (plus pack framing and metadata).
    expect(retry.progress.bytesUploaded).toBeLessThan(total - stored + MIB);
    expect(await snapshotsIn(store)).toBe(1);

    // The snapshot reads back whole through the resumed packs.
    const repo = await openRepository(store, 'pw');
    try {
      const out = join(work, 'out');
      await restoreEntry(repo, retry.manifest.rootEntry!, out);
      for (const name of ['a.bin', 'b.bin', 'sub/c.bin', 'small.txt']) expect(await readFile(join(out, name))).toEqual(await readFile(join(src, name)));
    } finally {
      await repo.close();
    }
  });
});
