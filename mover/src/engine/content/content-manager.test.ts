import { describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CountingBlobStore } from '../blob/counting-store.ts';
import { createFilesystemStore } from '../blob/filesystem-store.ts';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { listAll, type BlobStore } from '../blob/blob-store.ts';
import { FaultInjectingBlobStore } from '../blob/test-support/fault-injecting-store.ts';
import { StorageUnavailableError } from '../blob/blob-errors.ts';
import { decryptBlob } from '../crypto/blob-crypto.ts';
import { CorruptionError, NotFoundError } from '../errors.ts';
import type { RepositoryFormat } from '../format/repository-config.ts';
import { ContentManager } from './content-manager.ts';
import { testRepositoryFormat } from './content-test-support.ts';
import { openIndex } from './index-codec.ts';
import { findPostamble } from './pack-postamble.ts';
import { recoverPackEntries } from './pack-reader.ts';
import { listActiveSessions } from './session-marker.ts';

const KB = 1024;

function clock(start = Date.UTC(2025, 5, 1)): { now: () => Date; advance: (ms: number) => void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => { t += ms; } };
}

async function ids(store: BlobStore, prefix: string): Promise<string[]> {
  return (await listAll(store, prefix)).map((b) => b.id);
}

/** Records the order of puts and deletes. */
class RecordingStore extends MemoryBlobStore {
  readonly log: string[] = [];
  override async put(id: string, data: Uint8Array, options?: { ifNotExists?: boolean }): Promise<void> {
    this.log.push(`put ${id}`);
    await super.put(id, data, options);
  }
  override async delete(id: string): Promise<void> {
    this.log.push(`delete ${id}`);
    await super.delete(id);
  }
}

describe('ContentManager', () => {
  it('writes many contents across several packs, commits one index blob, and a new manager reads them back', async () => {
    const c = clock();
    const store = new RecordingStore(c.now);
    const format = testRepositoryFormat({ maxPackSize: 64 * KB });
    const cm = await ContentManager.open(store, format, { now: c.now, sessionUser: 'alice', sessionHost: 'pod-1', uploadParallelism: 2 });
    const written = new Map<string, Buffer>();
    for (let i = 0; i < 60; i++) {
      const data = randomBytes(5 * KB + i);
      written.set(await cm.writeContent(data, { prefix: '' }), data);
    }
    for (let i = 0; i < 20; i++) {
      const data = Buffer.from(`{"directory":${i},"entries":[${'"x",'.repeat(200)}"y"]}`);
      written.set(await cm.writeContent(data, { prefix: 'k', compression: 'zstd-fastest' }), data);
    }
    // readable before the commit (from memory and from uploaded-but-unindexed packs)
    for (const [id, data] of written) expect(await cm.getContent(id)).toEqual(data);
    await cm.flush();

    const packs = await ids(store, 'p');
    expect(packs.length).toBeGreaterThanOrEqual(5);
    expect(await ids(store, 'q')).toHaveLength(1);
    const indexBlobs = await ids(store, 'xn');
    expect(indexBlobs).toHaveLength(1);
    expect(indexBlobs[0]).toMatch(/^xn0_[0-9a-f]{32}-s[0-9a-f]{16}[0-9a-f]+-c1$/);
    expect(await ids(store, 's')).toEqual([]);
    // order: marker before the first pack, all packs before the index blob, marker deleted after it
    const firstPack = store.log.findIndex((l) => /^put [pq]/.test(l));
    const marker = store.log.findIndex((l) => l.startsWith('put s'));
    const index = store.log.findIndex((l) => l.startsWith('put xn'));
    const lastPack = store.log.map((l) => /^put [pq]/.test(l)).lastIndexOf(true);
    const markerDelete = store.log.findIndex((l) => l.startsWith('delete s'));
    expect(marker).toBeGreaterThanOrEqual(0);
    expect(marker).toBeLessThan(firstPack);
    expect(lastPack).toBeLessThan(index);
    expect(index).toBeLessThan(markerDelete);
    // every pack's session ID is the index blob's
    const session = indexBlobs[0]!.split('-')[1];
    for (const p of packs) expect(p.endsWith(`-${session}`)).toBe(true);

    const cm2 = await ContentManager.open(store, format, { now: c.now });
    for (const [id, data] of written) expect(await cm2.getContent(id)).toEqual(data);
    const k = [...written.keys()].find((i) => i.startsWith('k'))!;
    expect(cm2.contentInfo(k)).toMatchObject({ compressionHeaderId: 0x1101, formatVersion: 3, encryptionKeyId: 0, deleted: false });
    expect(cm2.contentInfo(k)!.packBlobId.startsWith('q')).toBe(true);
    expect(cm2.contentInfo(k)!.timestampSeconds).toBe(Math.floor(c.now().getTime() / 1000));
    expect([...cm2.iterateContents()].map((i) => i.contentId)).toEqual([...written.keys()].sort());
    expect([...cm2.iterateContents({ prefix: 'k' })]).toHaveLength(20);
  });

  it('deduplicates against pending and committed contents', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const cm = await ContentManager.open(store, format);
    const data = randomBytes(1000);
    const id = await cm.writeContent(data, { prefix: '' });
    expect(await cm.writeContent(data, { prefix: '' })).toBe(id);
    expect(cm.stats.dedupedContents).toBe(1);
    expect(await cm.writeContent(data, { prefix: 'x' })).toBe('x' + id);
    expect([...cm.iterateContents()].map((i) => i.contentId)).toEqual([id, 'x' + id]);
    await cm.flush();
    expect([...cm.iterateContents()].map((i) => i.contentId)).toEqual([id, 'x' + id]);
    await cm.deleteContent(id);
    expect([...cm.iterateContents()].map((i) => i.contentId)).toEqual(['x' + id]);
    expect([...cm.iterateContents({ includeDeleted: true })].map((i) => i.deleted)).toEqual([true, false]);
    await cm.writeContent(data, { prefix: '' });
    const cm2 = await ContentManager.open(store, format);
    expect(cm2.hasContent(id)).toBe(true);
    expect(await cm2.writeContent(data, { prefix: '' })).toBe(id);
    expect(cm2.stats.writtenContents).toBe(0);
    await cm2.flush();
    expect(await ids(store, 'xn')).toHaveLength(1); // nothing new to commit
    const set = cm2.contentIdSet({ unprefixedOnly: true });
    expect(set.has(id)).toBe(true);
    expect(set.has('x' + id)).toBe(false);
    expect(cm2.contentIdSet().has('x' + id)).toBe(true);
  });

  it('accepts contents prepared elsewhere and copies their payload', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const cm = await ContentManager.open(store, format);
    const { prepareContent } = await import('./prepare-content.ts');
    const data = Buffer.from('prepared in a worker '.repeat(50));
    const p = prepareContent(data, { prefix: '', hasher: cm.hasher, encryptor: cm.encryptor });
    const shared = Buffer.from(p.payload);
    await cm.addPreparedContent({ ...p, payload: shared });
    shared.fill(0); // the worker reuses its buffer
    await cm.addPreparedContent(p); // duplicate: ignored
    await cm.flush();
    const cm2 = await ContentManager.open(store, format);
    expect(await cm2.getContent(p.contentId)).toEqual(data);
    expect(cm.stats.dedupedContents).toBe(1);
  });

  it('records deletions as tombstones, honors the deletion watermark, and rewrites deleted contents', async () => {
    const c = clock();
    const store = new MemoryBlobStore(c.now);
    const format = testRepositoryFormat();
    const cm = await ContentManager.open(store, format, { now: c.now });
    const data = randomBytes(300);
    const id = await cm.writeContent(data, { prefix: '' });
    await cm.flush();
    const t0 = cm.contentInfo(id)!.timestampSeconds;
    await cm.deleteContent(id);
    expect(cm.hasContent(id)).toBe(false);
    await cm.flush();
    await expect(cm.deleteContent(randomBytes(16).toString('hex'))).rejects.toBeInstanceOf(NotFoundError);

    const cm2 = await ContentManager.open(store, format, { now: c.now });
    const tomb = cm2.contentInfo(id)!;
    expect(tomb).toMatchObject({ deleted: true, packBlobId: cm.contentInfo(id)!.packBlobId, timestampSeconds: t0 + 1 });
    // like kopia, a tombstoned content stays readable until a watermark drops it
    expect(await cm2.getContent(id)).toEqual(data);
    expect([...cm2.iterateContents()]).toHaveLength(0);
    expect([...cm2.iterateContents({ includeDeleted: true })].map((i) => i.contentId)).toEqual([id]);

    // a watermark at the tombstone's time makes it vanish
    await store.put(`xw${tomb.timestampSeconds}`, Buffer.from('deletion-watermark'));
    const cm3 = await ContentManager.open(store, format, { now: c.now });
    expect(cm3.contentInfo(id)).toBeUndefined();
    expect([...cm3.iterateContents({ includeDeleted: true })]).toHaveLength(0);
    await expect(cm3.getContent(id)).rejects.toBeInstanceOf(NotFoundError);

    // writing deleted data again stores a new copy with a later timestamp
    c.advance(5000);
    expect(await cm2.writeContent(data, { prefix: '' })).toBe(id);
    expect(cm2.stats.writtenContents).toBe(1);
    await cm2.flush();
    const cm4 = await ContentManager.open(store, format, { now: c.now });
    expect(cm4.contentInfo(id)).toMatchObject({ deleted: false });
    expect(cm4.contentInfo(id)!.timestampSeconds).toBeGreaterThan(tomb.timestampSeconds);
    expect(await cm4.getContent(id)).toEqual(data);
  });

  it('reports a flipped byte in a pack as corruption naming the content and the pack', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const cm = await ContentManager.open(store, format);
    const id = await cm.writeContent(randomBytes(2000), { prefix: '' });
    const other = await cm.writeContent(randomBytes(2000), { prefix: '' });
    await cm.flush();
    const info = cm.contentInfo(id)!;
    store.corrupt(info.packBlobId, info.packOffset + 100);
    const cm2 = await ContentManager.open(store, format);
    const err = await cm2.getContent(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as Error).message).toContain(id);
    expect((err as Error).message).toContain(info.packBlobId);
    expect((await cm2.getContent(other)).length).toBe(2000);
  });

  it('lays out packs as kopia does: 32-byte preamble, 4096 padding, recoverable local index, postamble', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const cm = await ContentManager.open(store, format);
    const a = await cm.writeContent(randomBytes(100), { prefix: '' });
    const b = await cm.writeContent(randomBytes(200), { prefix: '' });
    await cm.flush();
    const ia = cm.contentInfo(a)!;
    const ib = cm.contentInfo(b)!;
    expect(ia.packOffset).toBe(32);
    expect(ia.packedLength).toBe(128);
    expect(ib.packOffset).toBe(160);
    const pack = await store.get(ia.packBlobId);
    const post = findPostamble(pack)!;
    expect(post.localIndexOffset % 4096).toBe(0);
    expect(post.localIndexOffset).toBe(4096);
    expect(post.localIndexIv).toHaveLength(16);
    expect(post.localIndexOffset + post.localIndexLength).toBeLessThan(pack.length);
    const local = cm.encryptor.decrypt(pack.subarray(post.localIndexOffset, post.localIndexOffset + post.localIndexLength), post.localIndexIv);
    expect(cm.hasher.hash(local)).toEqual(post.localIndexIv);
    const recovered = await recoverPackEntries(store, cm.encryptor, ia.packBlobId);
    expect(recovered).toEqual([ia, ib].sort((x, y) => (x.contentId < y.contentId ? -1 : 1)));
    // the committed index blob holds the same entries without a random suffix
    const [xn] = await ids(store, 'xn');
    const plain = decryptBlob(cm.encryptor, xn!, await store.get(xn!));
    const ix = openIndex(plain, xn!, 28);
    expect(ix.entryCount).toBe(2);
    expect(ix.info(0).packBlobId).toBe(ia.packBlobId);
  });

  it('keeps the session marker while packs are unindexed', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat({ maxPackSize: 16 * KB });
    const cm = await ContentManager.open(store, format, { sessionUser: 'u', sessionHost: 'h' });
    for (let i = 0; i < 8; i++) await cm.writeContent(randomBytes(5 * KB), { prefix: '' });
    await cm.close();
    const sessions = await listActiveSessions(store, cm.encryptor);
    expect(sessions.size).toBe(1);
    const [info] = [...sessions.values()];
    expect(info).toMatchObject({ username: 'u', hostname: 'h' });
    expect((await ids(store, 'p')).every((p) => p.endsWith(`-${info!.id}`))).toBe(true);
    await cm.flush();
    expect(await ids(store, 's')).toEqual([]);
    // the next session uses a new ID
    await cm.writeContent(randomBytes(100), { prefix: '' });
    await cm.flush();
    const sessionsOfIndexes = new Set((await ids(store, 'xn')).map((x) => x.split('-')[1]));
    expect(sessionsOfIndexes.size).toBe(2);
  });

  it('writes data packs of a filesystem repository as they fill: readable before the flush, none left half-written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-cm-stream-'));
    try {
      const store = new CountingBlobStore(await createFilesystemStore(dir, { create: true }));
      expect(store.openWriter).toBeDefined();
      const format = testRepositoryFormat({ maxPackSize: 6 * 1024 * KB });
      const cm = await ContentManager.open(store, format, { uploadParallelism: 2 });
      const written = new Map<string, Buffer>();
      // 5-9 MiB of contents per pack: windows written while the pack fills, read back from disk and memory
      for (let i = 0; i < 12; i++) {
        const d = randomBytes(700 * KB + i);
        written.set(await cm.writeContent(d, { prefix: '' }), d);
      }
      for (const [id, d] of written) expect(await cm.getContent(id)).toEqual(d);
      await cm.flush();
      const packs = await ids(store, 'p');
      expect(packs.length).toBeGreaterThanOrEqual(2);
      expect(store.counts.putBytes).toBeGreaterThan(12 * 700 * KB);
      const cm2 = await ContentManager.open(store, format);
      for (const [id, d] of written) expect(await cm2.getContent(id)).toEqual(d);
      // a run that stops before its flush: the open pack's temp file goes with it
      const unflushed = randomBytes(5 * 1024 * KB);
      const id = await cm2.writeContent(unflushed, { prefix: '' });
      expect(await cm2.getContent(id)).toEqual(unflushed); // settles the pack's first window on disk
      const temps = async (): Promise<string[]> =>
        (await readdir(dir, { recursive: true })).filter((f) => f.includes('.tmp.'));
      expect(await temps()).toHaveLength(1);
      await cm2.dispose();
      expect(await temps()).toEqual([]);
      expect(await ids(store, 'p')).toEqual(packs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('retries a failed pack upload at flush', async () => {
    const mem = new MemoryBlobStore();
    const store = new FaultInjectingBlobStore(mem);
    const format = testRepositoryFormat({ maxPackSize: 16 * KB });
    const handle = store.inject({
      op: 'put', match: 'p', times: 1,
      fault: { kind: 'fail', error: (_op, id) => new StorageUnavailableError(`injected failure for ${id}`) },
    });
    const cm = await ContentManager.open(store, format);
    const written = new Map<string, Buffer>();
    for (let i = 0; i < 6; i++) {
      const d = randomBytes(6 * KB);
      written.set(await cm.writeContent(d, { prefix: '' }), d);
    }
    await cm.flush();
    expect(handle.fired).toBe(1);
    const cm2 = await ContentManager.open(mem, format);
    for (const [id, d] of written) expect(await cm2.getContent(id)).toEqual(d);
  });

  it('writes legacy n index blobs when epochs are disabled', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat({ epochParameters: { ...testRepositoryFormat().config.epochParameters, enabled: false } });
    const cm = await ContentManager.open(store, format);
    const data = randomBytes(500);
    const id = await cm.writeContent(data, { prefix: 'm' });
    await cm.flush();
    const n = await ids(store, 'n');
    expect(n).toHaveLength(1);
    expect(n[0]).toMatch(/^n[0-9a-f]{32}-s[0-9a-f]+$/);
    expect(await ids(store, 'x')).toEqual([]);
    const cm2 = await ContentManager.open(store, format);
    expect(await cm2.getContent(id)).toEqual(data);
  });

  it('writes index v1 (no compression) for index-v1 repositories', async () => {
    const store = new MemoryBlobStore();
    const format: RepositoryFormat = testRepositoryFormat({ indexVersion: 1 });
    const cm = await ContentManager.open(store, format);
    expect(cm.supportsContentCompression).toBe(false);
    const data = Buffer.from('compressible '.repeat(100));
    const id = await cm.writeContent(data, { prefix: 'k', compression: 'zstd' });
    await cm.flush();
    const [xn] = await ids(store, 'xn');
    const plain = decryptBlob(cm.encryptor, xn!, await store.get(xn!));
    expect(plain[0]).toBe(1);
    const cm2 = await ContentManager.open(store, format);
    expect(cm2.contentInfo(id)).toMatchObject({ compressionHeaderId: 0, originalLength: data.length });
    expect(await cm2.getContent(id)).toEqual(data);
  });

  it('puts the checksummed format blob replica at the start of packs of format v1 repositories', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat({
      version: 1, indexVersion: 1, enablePasswordChange: false,
      epochParameters: { ...testRepositoryFormat().config.epochParameters, enabled: false },
    });
    const cm = await ContentManager.open(store, format);
    const data = randomBytes(100);
    const id = await cm.writeContent(data, { prefix: '' });
    await cm.flush();
    const info = cm.contentInfo(id)!;
    const pack = await store.get(info.packBlobId);
    const l = pack.readUInt16LE(0);
    expect(l).toBe(format.formatBlobBytes.length + 32);
    expect(pack.subarray(2, 2 + format.formatBlobBytes.length)).toEqual(format.formatBlobBytes);
    const mac = createHmac('sha256', 'kopia-repository').update(format.formatBlobBytes).digest();
    expect(pack.subarray(2 + format.formatBlobBytes.length, 2 + l)).toEqual(mac);
    expect(pack.readUInt16LE(2 + l)).toBe(l);
    expect(info.packOffset).toBe(l + 4 + 32);
    expect(info.formatVersion).toBe(1);
    expect(await (await ContentManager.open(store, format)).getContent(id)).toEqual(data);
  });

  it('commits writes older than the auto-flush period on the next write', async () => {
    const c = clock();
    const store = new MemoryBlobStore(c.now);
    const cm = await ContentManager.open(store, testRepositoryFormat(), { now: c.now, autoFlushMs: 10 * 60_000 });
    await cm.writeContent(randomBytes(10), { prefix: '' });
    c.advance(5 * 60_000);
    await cm.writeContent(randomBytes(10), { prefix: '' });
    expect(await ids(store, 'xn')).toHaveLength(0);
    c.advance(6 * 60_000);
    await cm.writeContent(randomBytes(10), { prefix: '' });
    expect(await ids(store, 'xn')).toHaveLength(1);
  });

  it('keeps every write of concurrent writers and flushes', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat({ maxPackSize: 8 * KB });
    const cm = await ContentManager.open(store, format, { uploadParallelism: 2 });
    const datas = Array.from({ length: 120 }, (_, i) => randomBytes(1 * KB + i));
    const writes = datas.map((d, i) => (i === 60 ? cm.flush().then(() => cm.writeContent(d, { prefix: '' })) : cm.writeContent(d, { prefix: i % 5 === 0 ? 'k' : '' })));
    const written = await Promise.all(writes);
    await cm.flush();
    expect(await ids(store, 's')).toEqual([]);
    const cm2 = await ContentManager.open(store, format);
    for (let i = 0; i < datas.length; i++) expect(await cm2.getContent(written[i]!)).toEqual(datas[i]);
    expect([...cm2.iterateContents()]).toHaveLength(120);
  });

  it('finds contents another writer committed after a refresh', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const reader = await ContentManager.open(store, format);
    const writer = await ContentManager.open(store, format);
    const data = randomBytes(64);
    const id = await writer.writeContent(data, { prefix: '' });
    await writer.flush();
    expect(reader.contentInfo(id)).toBeUndefined();
    // getContent refreshes on a miss
    expect(await reader.getContent(id)).toEqual(data);
    expect(reader.hasContent(id)).toBe(true);
  });
});
