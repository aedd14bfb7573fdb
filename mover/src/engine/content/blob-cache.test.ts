import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAll } from '../blob/blob-store.ts';
import { CountingBlobStore } from '../blob/counting-store.ts';
import { createFilesystemStore } from '../blob/filesystem-store.ts';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { BlobCache, isCachedBlobId, openBlobCache } from './blob-cache.ts';

const KEY = Buffer.alloc(32, 7);
const REPO = 'aa'.repeat(16);

interface Warning { readonly obj: object; readonly msg: string }

function recordingLogger(): { warnings: Warning[]; debug(obj: object, msg: string): void; warn(obj: object, msg: string): void } {
  const warnings: Warning[] = [];
  return { warnings, debug: () => undefined, warn: (obj, msg) => warnings.push({ obj, msg }) };
}

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-blob-cache-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function setup(options: { key?: Buffer; repo?: string } = {}): Promise<{ storage: MemoryBlobStore; counted: CountingBlobStore; cache: BlobCache; log: ReturnType<typeof recordingLogger> }> {
  const storage = new MemoryBlobStore();
  const counted = new CountingBlobStore(storage);
  const log = recordingLogger();
  const cache = await openBlobCache(counted, { cacheDir: work, repositoryId: options.repo ?? REPO, key: options.key ?? KEY, logger: log });
  if (cache === undefined) throw new Error('cache did not open');
  return { storage, counted, cache, log };
}

describe('BlobCache', () => {
  it('caches index blobs and metadata packs only, never data packs or mutable blobs', () => {
    for (const id of ['q0123abcd', 'xn0_abc-s1-c1', 'xs3_abc', 'xr0_5_abc', 'n0123']) expect(isCachedBlobId(id)).toBe(true);
    for (const id of ['p0123abcd', 'xe1', 'xw1700000000', 'kopia.repository', 'kopia.blobcfg', 'kopia.maintenance', 's0123-x', '_log_1_2', 'q/../x', 'q.tmp', '']) {
      expect(isCachedBlobId(id)).toBe(false);
    }
  });

  it('fetches a blob once, then serves it (and any range of it) from disk', async () => {
    const { storage, counted, cache } = await setup();
    const body = Buffer.from('metadata pack bytes 0123456789');
    await storage.put('q1', body);
    expect(await cache.get('q1', { offset: 5, length: 4 })).toEqual(body.subarray(5, 9));
    expect(counted.counts.gets).toBe(1);
    expect(counted.counts.getBytes).toBe(body.length); // the whole blob, not the range
    expect(await cache.get('q1')).toEqual(body);
    expect(await cache.get('q1', { offset: 20, length: 10 })).toEqual(body.subarray(20, 30));
    expect(counted.counts.gets).toBe(1);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 1, invalid: 0 });
    // a second process (a new cache over the same directory) starts warm
    const again = await openBlobCache(counted, { cacheDir: work, repositoryId: REPO, key: KEY });
    expect(await again!.get('q1')).toEqual(body);
    expect(counted.counts.gets).toBe(1);
  });

  it('keeps a blob loaded for a range read in memory: its later ranges need neither storage nor the file', async () => {
    const { storage, counted, cache } = await setup();
    const body = Buffer.from('metadata pack bytes 0123456789');
    await storage.put('q1', body);
    expect(await cache.get('q1', { offset: 0, length: 4 })).toEqual(body.subarray(0, 4));
    await rm(join(cache.dir, 'q1'));
    for (let i = 0; i < 5; i++) expect(await cache.get('q1', { offset: i, length: 10 })).toEqual(body.subarray(i, i + 10));
    expect(cache.stats).toMatchObject({ hits: 5, misses: 1, invalid: 0 });
    expect(counted.counts.gets).toBe(1);
    // a range past the blob is not served from memory: storage words the error
    await expect(cache.get('q1', { offset: body.length, length: 8 })).rejects.toThrow();
  });

  it('keeps at most 16 MiB of blobs in memory, dropping the least recently used', async () => {
    const { storage, counted, cache } = await setup();
    const a = Buffer.alloc(9 << 20, 1);
    const b = Buffer.alloc(9 << 20, 2);
    await storage.put('q1', a);
    await storage.put('q2', b);
    await cache.get('q1', { offset: 0, length: 1 });
    await cache.get('q2', { offset: 0, length: 1 });
    expect(counted.counts.gets).toBe(2);
    await rm(join(cache.dir, 'q1'));
    await rm(join(cache.dir, 'q2'));
    expect(await cache.get('q2', { offset: 5, length: 3 })).toEqual(b.subarray(5, 8));
    expect(counted.counts.gets).toBe(2);
    expect(await cache.get('q1', { offset: 5, length: 3 })).toEqual(a.subarray(5, 8)); // dropped: fetched again
    expect(counted.counts.gets).toBe(3);
  });

  it('reads later ranges of a verified file directly, and loads it whole again when it changed under it', async () => {
    const { counted, cache } = await setup();
    const body = Buffer.from('metadata pack bytes 0123456789');
    // written through by this client: verified, and read by range from the file (not kept in memory)
    await cache.put('q1', body);
    for (let i = 0; i < 5; i++) expect(await cache.get('q1', { offset: i, length: 10 })).toEqual(body.subarray(i, i + 10));
    expect(cache.stats).toMatchObject({ hits: 5, misses: 0, invalid: 0 });
    expect(counted.counts.gets).toBe(0);
    // another process left a truncated file: the range does not fit, so the file is re-read whole, fails
    // verification and the blob comes from storage again
    const file = join(cache.dir, 'q1');
    await writeFile(file, (await readFile(file)).subarray(0, 12));
    expect(await cache.get('q1', { offset: 20, length: 10 })).toEqual(body.subarray(20, 30));
    expect(cache.stats.invalid).toBe(1);
    expect(counted.counts.gets).toBe(1);
    // a range into the tag is out of range for the blob: storage words the error
    await expect(cache.get('q1', { offset: body.length, length: 8 })).rejects.toThrow();
  });

  it('shares one fetch among concurrent readers of the same blob', async () => {
    const { storage, counted, cache } = await setup();
    await storage.put('xn0_abc', Buffer.alloc(1000, 1));
    const reads = await Promise.all(Array.from({ length: 8 }, (_, i) => cache.get('xn0_abc', { offset: i * 10, length: 10 })));
    expect(reads.every((r) => r.equals(Buffer.alloc(10, 1)))).toBe(true);
    expect(counted.counts.gets).toBe(1);
  });

  it('passes data packs and format blobs straight to storage', async () => {
    const { storage, counted, cache } = await setup();
    await storage.put('p1', Buffer.from('data'));
    await storage.put('kopia.repository', Buffer.from('{}'));
    for (let i = 0; i < 2; i++) {
      expect((await cache.get('p1')).toString()).toBe('data');
      expect((await cache.get('kopia.repository')).toString()).toBe('{}');
    }
    expect(counted.counts.gets).toBe(4);
    await cache.put('p2', Buffer.from('more'));
    expect(await readdir(cache.dir)).toEqual([]);
  });

  it('writes through: a blob this client stored is never downloaded', async () => {
    const { storage, counted, cache } = await setup();
    await cache.put('xn0_new', Buffer.from('index'));
    expect((await storage.get('xn0_new')).toString()).toBe('index');
    expect((await cache.get('xn0_new')).toString()).toBe('index');
    expect(counted.counts.gets).toBe(0);
    await cache.delete('xn0_new');
    expect(await readdir(cache.dir)).toEqual([]);
    await expect(cache.get('xn0_new')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('replaces a truncated or altered cache file with the blob from storage, warning once', async () => {
    const { storage, counted, cache, log } = await setup();
    const body = Buffer.from('the real bytes');
    await storage.put('q1', body);
    await storage.put('q2', body);
    await cache.get('q1');
    await cache.get('q2');
    const f1 = join(cache.dir, 'q1');
    const flipped = await readFile(f1);
    flipped[3] = flipped[3]! ^ 1;
    await writeFile(f1, flipped);
    await writeFile(join(cache.dir, 'q2'), Buffer.from('short'));
    expect(await cache.get('q1')).toEqual(body);
    expect(await cache.get('q2')).toEqual(body);
    expect(counted.counts.gets).toBe(4);
    expect(cache.stats.invalid).toBe(2);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]!.msg).toContain('failed verification');
    // the refetched copies verify again
    expect(await cache.get('q1')).toEqual(body);
    expect(counted.counts.gets).toBe(4);
  });

  it('never serves one blob under another ID, or another repository\'s file', async () => {
    const { storage, counted, cache } = await setup();
    await storage.put('q1', Buffer.from('one'));
    await storage.put('q2', Buffer.from('two'));
    await cache.get('q1');
    await writeFile(join(cache.dir, 'q2'), await readFile(join(cache.dir, 'q1')));
    expect((await cache.get('q2')).toString()).toBe('two');
    // a second repository with other secrets: a file copied from the first one's directory fails verification
    const other = await setup({ key: Buffer.alloc(32, 9), repo: 'bb'.repeat(16) });
    await other.storage.put('q1', Buffer.from('other repository'));
    await writeFile(join(other.cache.dir, 'q1'), await readFile(join(cache.dir, 'q1')));
    expect((await other.cache.get('q1')).toString()).toBe('other repository');
    expect(other.cache.stats.invalid).toBe(1);
    expect(counted.counts.gets).toBe(2);
  });

  it('drops cache files of index blobs a listing no longer shows', async () => {
    const { storage, cache } = await setup();
    await cache.put('xn0_a', Buffer.from('a'));
    await cache.put('xn0_b', Buffer.from('b'));
    await cache.put('q1', Buffer.from('q'));
    await storage.delete('xn0_a'); // compacted away by another client
    expect((await listAll(cache, 'xn')).map((m) => m.id)).toEqual(['xn0_b']);
    expect((await readdir(cache.dir)).sort()).toEqual(['q1', 'xn0_b']);
    expect(cache.stats.pruned).toBe(1);
  });

  it('runs without a cache when the directory is not absolute or cannot be created', async () => {
    const storage = new MemoryBlobStore();
    const log = recordingLogger();
    expect(await openBlobCache(storage, { cacheDir: 'relative/cache', repositoryId: REPO, key: KEY, logger: log })).toBeUndefined();
    const file = join(work, 'a-file');
    await writeFile(file, 'x');
    expect(await openBlobCache(storage, { cacheDir: file, repositoryId: REPO, key: KEY, logger: log })).toBeUndefined();
    expect(log.warnings.map((w) => w.msg)).toEqual([
      expect.stringContaining('"relative/cache" is not an absolute path'),
      expect.stringMatching(new RegExp(`${file} cannot be used \\((ENOTDIR|EEXIST)\\); running without a cache`)),
    ]);
  });

  it('turns itself off with one warning when the directory stops being writable, and reads go on', async () => {
    const { storage, counted, cache, log } = await setup();
    await storage.put('q1', Buffer.from('one'));
    await storage.put('q2', Buffer.from('two'));
    await rm(join(work, REPO), { recursive: true });
    await writeFile(join(work, REPO), 'not a directory');
    expect((await cache.get('q1')).toString()).toBe('one');
    expect((await cache.get('q2')).toString()).toBe('two');
    await cache.put('q3', Buffer.from('three'));
    expect((await storage.get('q3')).toString()).toBe('three');
    expect(counted.counts.gets).toBe(2);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]!.msg).toContain('cannot be written');
  });

  it('works over the filesystem store (kopia layout) with real files', async () => {
    const storage = await createFilesystemStore(join(work, 'repo'), { create: true });
    const counted = new CountingBlobStore(storage);
    const cache = (await openBlobCache(counted, { cacheDir: join(work, 'cache'), repositoryId: REPO, key: KEY }))!;
    await storage.put('q9', Buffer.alloc(5000, 3));
    expect(await cache.get('q9', { offset: 4990, length: 10 })).toEqual(Buffer.alloc(10, 3));
    expect(await cache.get('q9', { offset: 0, length: 10 })).toEqual(Buffer.alloc(10, 3));
    expect(counted.counts.gets).toBe(1);
    await expect(cache.get('q9', { offset: 4999, length: 2 })).rejects.toThrow();
    await cache.close();
  });
});
