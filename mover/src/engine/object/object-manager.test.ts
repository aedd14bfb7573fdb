import { createCipheriv, createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressContent, compressorByName } from '../compression/compressors.ts';
import { CorruptionError, NotFoundError, UnsupportedError } from '../errors.ts';
import { FastCdcSplitter } from './fastcdc-splitter.ts';
import { FixedSplitter } from './fixed-splitter.ts';
import { buildIndirectObject, entriesFromChunks } from './indirect-object.ts';
import { ObjectManager } from './object-manager.ts';
import type { ObjectReader } from './object-store.ts';
import { MemoryContentStore } from './test-support/memory-content-store.ts';

function randomBytes(label: string, length: number): Buffer {
  const key = createHash('sha256').update(label).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

function emptyContentId(prefix = ''): string {
  return prefix + createHash('sha256').update(Buffer.alloc(0)).digest().subarray(0, 16).toString('hex');
}

const small = (): FastCdcSplitter => new FastCdcSplitter({ minSize: 256, avgSize: 1024, maxSize: 8192 });

async function writeObject(om: ObjectManager, data: Uint8Array, pieces = 3, options = {}): Promise<string> {
  const w = om.newWriter(options);
  const step = Math.ceil(data.length / pieces) || 1;
  for (let i = 0; i < data.length; i += step) await w.write(data.subarray(i, i + step));
  return w.result();
}

async function collect(r: ObjectReader, offset?: number, end?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r.stream(offset, end)) parts.push(p);
  return Buffer.concat(parts);
}

describe('ObjectManager writes', () => {
  it('stores an empty object as the content of zero bytes', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store);
    const id = await om.newWriter().result();
    expect(id).toBe(emptyContentId());
    expect((await om.openObject(id)).length).toBe(0);
    expect(await om.newWriter({ prefix: 'k' }).result()).toBe(emptyContentId('k'));
  });

  it('stores a one-chunk object as that content, with the requested prefix and compression', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store);
    const data = Buffer.from('hello kopia');
    const id = await writeObject(om, data, 4, { prefix: 'k', compression: 'zstd' });
    expect(id).toMatch(/^k[0-9a-f]{32}$/);
    expect(store.writes).toEqual([{ contentId: id, length: data.length, prefix: 'k', compression: 'zstd' }]);
    expect(await (await om.openObject(id)).readAll()).toEqual(data);
  });

  it('writes kopia\'s indirect JSON as an x content with metadata compression', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: () => new FixedSplitter(1000) });
    const id = await writeObject(om, Buffer.alloc(2500, 1), 1, { compression: 'gzip' });
    const ids = store.writes.map((w) => w.contentId);
    expect(store.writes.slice(0, 3).map((w) => [w.length, w.prefix, w.compression])).toEqual([[1000, '', 'gzip'], [1000, '', 'gzip'], [500, '', 'gzip']]);
    expect(ids[0]).toBe(ids[1]); // identical chunks dedup
    const index = store.writes[3]!;
    expect([index.prefix, index.compression, store.writes.length]).toEqual(['x', 'zstd-fastest', 4]);
    expect(id).toBe('I' + index.contentId);
    expect(store.raw(index.contentId).toString()).toBe(
      `{"stream":"kopia:indirect","entries":[{"l":1000,"o":"${ids[0]}"},{"s":1000,"l":1000,"o":"${ids[1]}"},{"s":2000,"l":500,"o":"${ids[2]}"}]}\n`,
    );
  });

  it('fails instead of nesting forever when the splitter cannot hold its own index', async () => {
    const om = new ObjectManager(new MemoryContentStore(), { newSplitter: () => new FixedSplitter(100) });
    await expect(writeObject(om, Buffer.alloc(300, 1))).rejects.toThrow(/levels/);
  });

  it('golden: index bytes for a two-chunk object', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: () => new FixedSplitter(1 << 20) });
    const data = Buffer.alloc((1 << 20) + 5, 7);
    const id = await writeObject(om, data);
    const [c0, c1] = store.writes.map((w) => w.contentId);
    expect(store.raw(id.slice(1)).toString()).toBe(
      `{"stream":"kopia:indirect","entries":[{"l":1048576,"o":"${c0}"},{"s":1048576,"l":5,"o":"${c1}"}]}\n`,
    );
  });

  it('keeps the parent prefix for indexes of k objects', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: small });
    const id = await writeObject(om, randomBytes('k', 50_000), 5, { prefix: 'k', metadataCompression: 'gzip' });
    expect(id).toMatch(/^I+k/);
    expect(new Set(store.writes.map((w) => w.prefix))).toEqual(new Set(['k']));
    expect(store.writes.at(-1)!.compression).toBe('gzip');
  });

  it('buildIndirectObject / writeIndirectObject give the same object as the writer (parallel uploads)', async () => {
    const data = randomBytes('parallel', 100_000);
    const a = new MemoryContentStore();
    const viaWriter = await writeObject(new ObjectManager(a, { newSplitter: small }), data, 7);
    // a "parallel uploader": split elsewhere, store chunks itself, then only write the index
    const b = new MemoryContentStore();
    const s = small();
    const chunks: { length: number; objectId: string }[] = [];
    let pos = 0;
    while (pos < data.length) {
      let cut = s.next(data, pos, data.length);
      if (cut < 0) cut = data.length;
      chunks.push({ length: cut - pos, objectId: await b.writeContent(data.subarray(pos, cut), { prefix: '' }) });
      pos = cut;
    }
    const viaIndex = await new ObjectManager(b, { newSplitter: small }).writeIndirect(entriesFromChunks(chunks));
    expect(viaIndex).toBe(viaWriter);
    const indexObject = await new ObjectManager(b).openObject(viaIndex.slice(1));
    expect(await indexObject.readAll()).toEqual(buildIndirectObject(entriesFromChunks(chunks)));
  });

  it('does not keep the caller\'s buffer after write() resolves', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: small, writeConcurrency: 8 });
    const original = randomBytes('reuse', 64_000);
    const buf = Buffer.alloc(10_000);
    const w = om.newWriter();
    for (let i = 0; i < original.length; i += buf.length) {
      const n = original.copy(buf, 0, i, i + buf.length);
      await w.write(buf.subarray(0, n));
      buf.fill(0xee); // the caller reuses its buffer
    }
    expect(await (await om.openObject(await w.result())).readAll()).toEqual(original);
  });

  it('creates multi-level indirection when the index outgrows a chunk', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: () => new FixedSplitter(1000) });
    const data = randomBytes('deep', 400_000); // 400 entries -> ~27 KB of index -> ~1.2 KB -> one chunk
    const id = await writeObject(om, data, 3);
    expect(id).toMatch(/^IIIx/);
    const r = await om.openObject(id);
    expect(r.length).toBe(data.length);
    expect(await r.readAll()).toEqual(data);
    expect(await r.read(123_456, 5_000)).toEqual(data.subarray(123_456, 128_456));
    // every stored content belongs to the object, data and index alike
    expect(new Set(await om.objectContents(id))).toEqual(new Set(store.contents.keys()));
    expect(await om.verifyObject(id)).toHaveLength(store.contents.size);
  });

  it('checkpoint() names the chunks written so far', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: () => new FixedSplitter(1000) });
    const w = om.newWriter();
    expect(await w.checkpoint()).toBeUndefined();
    const data = randomBytes('cp', 3500);
    await w.write(data);
    const cp = await w.checkpoint();
    expect(await (await om.openObject(cp!)).readAll()).toEqual(data.subarray(0, 3000));
    expect(await (await om.openObject(await w.result())).readAll()).toEqual(data);
    await expect(w.write(data)).rejects.toThrow(/after result/);
  });

  it('reports content write failures from write() and result()', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: () => new FixedSplitter(10) });
    const w = om.newWriter();
    store.failWrites = new Error('pack upload failed');
    await expect(w.write(Buffer.alloc(100))).rejects.toThrow('pack upload failed');
    await expect(w.result()).rejects.toThrow('pack upload failed');
  });

  it('refuses to write through a read-only content reader', () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager({ getContent: (id) => store.getContent(id) });
    expect(() => om.newWriter()).toThrow(UnsupportedError);
  });

  it('concatenates objects without copying data', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: small });
    const a = randomBytes('a', 30_000);
    const b = Buffer.from('tiny');
    const c = randomBytes('c', 20_000);
    const ids = [await writeObject(om, a), await writeObject(om, b), await writeObject(om, c)];
    const before = new Set(store.contents.keys());
    const joined = await om.concatenate(ids);
    const added = [...store.contents.keys()].filter((k) => !before.has(k));
    expect(added.length).toBeGreaterThan(0);
    for (const k of added) expect(k.startsWith('x')).toBe(true); // only index contents, no data copied
    const r = await om.openObject(joined);
    expect(await r.readAll()).toEqual(Buffer.concat([a, b, c]));
    expect(await om.concatenate([ids[1]!])).toBe(ids[1]);
  });
});

describe('ObjectManager reads', () => {
  it('reads any range across chunk boundaries (property)', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: small });
    const data = randomBytes('ranges', 60_000);
    const r = await om.openObject(await writeObject(om, data, 9));
    await fc.assert(fc.asyncProperty(fc.nat(62_000), fc.nat(20_000), async (offset, length) => {
      const want = data.subarray(Math.min(offset, data.length), Math.min(offset + length, data.length));
      expect(await r.read(offset, length)).toEqual(want);
      expect(await collect(r, offset, offset + length)).toEqual(want);
    }), { numRuns: 200 });
  });

  it('reads ahead on sequential access and streams several chunks at once', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: () => new FixedSplitter(1000), readAheadChunks: 3 });
    const data = randomBytes('seq', 20_000);
    const id = await writeObject(om, data);
    const chunkIds = store.writes.slice(0, 20).map((w) => w.contentId);
    const r = await om.openObject(id);
    store.reads.length = 0;
    await r.read(0, 1000);
    expect(store.reads).toEqual([chunkIds[0]]); // a first read fetches nothing extra
    const second = r.read(1000, 1000);
    expect(store.reads).toEqual(chunkIds.slice(0, 5)); // chunk 1 plus 3 ahead, started at once
    expect(await second).toEqual(data.subarray(1000, 2000));
    expect(await r.read(2000, 1500)).toEqual(data.subarray(2000, 3500));
    expect(store.reads.filter((c) => c === chunkIds[2])).toHaveLength(1); // served from read-ahead

    store.readDelayMs = 5;
    store.maxActiveReads = 0;
    expect(await collect(await om.openObject(id))).toEqual(data);
    expect(store.maxActiveReads).toBe(4);
    store.maxActiveReads = 0;
    expect(await (await om.openObject(id)).read(0, data.length)).toEqual(data); // one long read: bounded too
    expect(store.maxActiveReads).toBe(4);
  });

  it('reads legacy Z (object-level compressed) objects', async () => {
    const store = new MemoryContentStore();
    const data = Buffer.from('legacy '.repeat(100));
    const cid = await store.writeContent(compressContent(compressorByName('gzip'), data), { prefix: '' });
    const om = new ObjectManager(store);
    expect(await (await om.openObject('Z' + cid)).readAll()).toEqual(data);
    expect(await (await om.openObject('ZD' + cid.toUpperCase())).readAll()).toEqual(data);
  });

  it('fails with NotFoundError for missing contents and CorruptionError for bad indexes', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: () => new FixedSplitter(1000) });
    await expect(om.openObject('0123456789abcdef0123456789abcdef')).rejects.toBeInstanceOf(NotFoundError);
    await writeObject(om, randomBytes('x', 3500));
    // an index whose entry lengths disagree with the contents
    const [c0, c1] = store.writes.map((w) => w.contentId);
    const lying = buildIndirectObject([{ start: 0, length: 1001, objectId: c0! }, { start: 1001, length: 1000, objectId: c1! }]);
    const lyingId = await store.writeContent(lying, { prefix: 'x' });
    const r = await om.openObject('I' + lyingId);
    await expect(r.read(0, 5)).rejects.toBeInstanceOf(CorruptionError);
    const garbage = await store.writeContent(Buffer.from('{"entries":'), { prefix: 'x' });
    await expect(om.openObject('I' + garbage)).rejects.toThrow(new RegExp(garbage));
  });

  it('retries a chunk whose fetch failed', async () => {
    const store = new MemoryContentStore();
    const om = new ObjectManager(store, { newSplitter: () => new FixedSplitter(1000) });
    const data = randomBytes('retry', 3000);
    const r = await om.openObject(await writeObject(om, data));
    const victim = store.writes[1]!.contentId;
    const saved = store.contents.get(victim)!;
    store.contents.delete(victim);
    await expect(r.read(1000, 10)).rejects.toBeInstanceOf(NotFoundError);
    store.contents.set(victim, saved);
    expect(await r.read(1000, 10)).toEqual(data.subarray(1000, 1010));
  });
});
