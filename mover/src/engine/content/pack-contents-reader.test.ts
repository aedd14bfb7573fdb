import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ByteRange } from '../blob/blob-store.ts';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import type { ContentInfo } from './content-info.ts';
import { ContentManager } from './content-manager.ts';
import { testRepositoryFormat } from './content-test-support.ts';
import { PackContentsReader, type PackRangeResult } from './pack-contents-reader.ts';
import { PackRangeDecoder } from './pack-range-decoder.ts';

/** Records every ranged GET. */
class CountingStore extends MemoryBlobStore {
  readonly gets: { id: string; offset: number; length: number }[] = [];
  override get(id: string, range?: ByteRange): Promise<Buffer> {
    if (range !== undefined) this.gets.push({ id, ...range });
    return super.get(id, range);
  }
}

/**
 * Contents written through the real content manager into one pack; `sizes` gives each content's length.
 * Odd ones are compressible and compressed unless `random`.
 */
async function onePack(sizes: readonly number[], random = false) {
  const store = new CountingStore();
  const format = testRepositoryFormat();
  const cm = await ContentManager.open(store, format);
  const data = sizes.map((n, i) => (random || i % 2 === 0 ? randomBytes(n) : Buffer.alloc(n, i)));
  const ids: string[] = [];
  for (const [i, d] of data.entries()) ids.push(await cm.writeContent(d, { prefix: '', compression: i % 2 === 0 ? undefined : 'zstd-fastest' }));
  await cm.flush();
  const infos = ids.map((id) => cm.contentInfo(id)!);
  expect(new Set(infos.map((i) => i.packBlobId)).size).toBe(1);
  store.gets.length = 0;
  return { store, format, cm, data, infos, reader: cm.packReader() };
}

async function readAll(reader: PackContentsReader, infos: readonly ContentInfo[], options = {}): Promise<PackRangeResult[]> {
  const out: PackRangeResult[] = [];
  await reader.read(infos, options, (r) => out.push(r));
  return out;
}

describe('PackContentsReader', () => {
  it('reads many contents of one pack with one ranged GET, verified and decompressed', async () => {
    const { store, data, infos, reader } = await onePack([1000, 5000, 300, 70_000, 10]);
    const results = await readAll(reader, [...infos].reverse());
    expect(store.gets).toHaveLength(1);
    expect(results).toHaveLength(1);
    const byId = new Map(results[0]!.contents.map((c) => [c.info.contentId, c]));
    for (const [i, info] of infos.entries()) expect(byId.get(info.contentId)?.data).toEqual(data[i]);
    expect(results[0]!.contents.map((c) => c.info.packOffset)).toEqual([...infos.map((i) => i.packOffset)].sort((a, b) => a - b));
    expect(results[0]!.bytesRead).toBe(store.gets[0]!.length);
  });

  it('coalesces nearby contents and splits on large gaps and the range cap', async () => {
    const { store, infos, reader } = await onePack([2000, 50_000, 2000, 100, 100], true);
    const [a, , c, d, e] = infos as [ContentInfo, ContentInfo, ContentInfo, ContentInfo, ContentInfo];
    await readAll(reader, [a, c], { maxGapBytes: 1024 });
    expect(store.gets.map((g) => [g.offset, g.length])).toEqual([[a.packOffset, a.packedLength], [c.packOffset, c.packedLength]]);
    store.gets.length = 0;
    await readAll(reader, [a, c], { maxGapBytes: 64 * 1024 });
    expect(store.gets.map((g) => [g.offset, g.length])).toEqual([[a.packOffset, c.packOffset + c.packedLength - a.packOffset]]);
    store.gets.length = 0;
    await readAll(reader, [c, d, e], { maxRangeBytes: c.packedLength + d.packedLength });
    expect(store.gets).toHaveLength(2);
  });

  it('reports a corrupt content as CORRUPT naming content and pack, and still returns its neighbours', async () => {
    const { store, data, infos, reader } = await onePack([1000, 1000, 1000]);
    const victim = infos[1]!;
    store.corrupt(victim.packBlobId, victim.packOffset + 40);
    const [r] = await readAll(reader, infos);
    const [c0, c1, c2] = r!.contents;
    expect(c0!.data).toEqual(data[0]);
    expect(c2!.data).toEqual(data[2]);
    expect(c1!.error).toMatchObject({ code: 'CORRUPT' });
    expect(c1!.error!.message).toContain(victim.contentId);
    expect(c1!.error!.message).toContain(victim.packBlobId);
    await expect(reader.readContent(victim)).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it('reports a content whose length disagrees with its index entry as CORRUPT', async () => {
    const { infos, reader } = await onePack([1000]);
    const lying = { ...infos[0]!, originalLength: 999 };
    const [r] = await readAll(reader, [lying]);
    expect(r!.contents[0]!.error).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('the index says 999') });
  });

  it('reports every content of a missing pack as CORRUPT naming the pack; fetch keeps NOT_FOUND', async () => {
    const { store, infos, reader } = await onePack([100, 200]);
    const pack = infos[0]!.packBlobId;
    await store.delete(pack);
    const [r] = await readAll(reader, infos);
    expect(r!.bytesRead).toBe(0);
    for (const c of r!.contents) expect(c.error).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(`pack ${pack} is missing`) });
    await expect(reader.fetch(reader.plan(infos)[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reader.readContent(infos[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('hands workers a structured-clonable spec with the derived key, never the master key', async () => {
    const { format, data, infos, reader } = await onePack([3000, 4000]);
    const spec = reader.workerSpec!;
    expect(spec).toBeDefined();
    const cloned = structuredClone(spec);
    expect(Buffer.from(cloned.keys.derivedKey).equals(format.config.masterKey)).toBe(false);
    const range = reader.plan(infos)[0]!;
    const bytes = await reader.fetch(range);
    const decoded = [...PackRangeDecoder.fromSpec(cloned).decode(structuredClone(range), bytes)];
    expect(decoded.map((d) => d.data)).toEqual(data);
  });

  it('reports an unknown encryption key ID as UNSUPPORTED and a short range as CORRUPT', async () => {
    const { infos, reader } = await onePack([500, 500]);
    const range = reader.plan(infos)[0]!;
    const bytes = await reader.fetch(range);
    const [first] = [...reader.decode({ ...range, contents: [{ ...infos[0]!, encryptionKeyId: 1 }] }, bytes)];
    expect(first!.error).toMatchObject({ code: 'UNSUPPORTED' });
    const results = [...reader.decode(range, bytes.subarray(0, bytes.length - 1))];
    expect(results[0]!.data).toBeDefined();
    expect(results[1]!.error).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(infos[1]!.contentId) });
  });

  it('stops fetching once the signal is aborted', async () => {
    const { store, infos, reader } = await onePack([100, 100]);
    const ac = new AbortController();
    ac.abort();
    expect(await readAll(reader, infos, { signal: ac.signal })).toEqual([]);
    expect(store.gets).toEqual([]);
  });
});
