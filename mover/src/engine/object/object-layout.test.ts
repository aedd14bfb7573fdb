import { describe, expect, it } from 'vitest';
import { buildIndirectObject, entriesFromChunks } from './indirect-object.ts';
import { resolveObjectLayout } from './object-layout.ts';
import { MemoryContentStore } from './test-support/memory-content-store.ts';

async function put(store: MemoryContentStore, parts: readonly Buffer[]): Promise<string> {
  const chunks = [];
  for (const p of parts) chunks.push({ length: p.length, objectId: await store.writeContent(p, { prefix: '' }) });
  if (chunks.length === 1) return chunks[0]!.objectId;
  return 'I' + (await store.writeContent(buildIndirectObject(entriesFromChunks(chunks)), { prefix: 'x' }));
}

describe('resolveObjectLayout', () => {
  it('maps direct and indirect objects to chunks with offsets', async () => {
    const store = new MemoryContentStore();
    const big = await put(store, [Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(500, 3)]);
    const small = await put(store, [Buffer.from('hello')]);
    const empty = await put(store, [Buffer.alloc(0)]);
    expect(big.startsWith('Ix')).toBe(true);
    const layout = await resolveObjectLayout(store, big, 'file big');
    expect(layout?.length).toBe(2500);
    expect(layout?.chunks.map((c) => [c.offset, c.length])).toEqual([[0, 1000], [1000, 1000], [2000, 500]]);
    expect(await resolveObjectLayout(store, small, 'f')).toEqual({ length: 5, chunks: [{ offset: 0, length: 5, contentId: small }] });
    expect(await resolveObjectLayout(store, empty, 'f')).toEqual({ length: 0, chunks: [] });
    expect(await resolveObjectLayout(store, '', 'f')).toEqual({ length: 0, chunks: [] });
    expect(await resolveObjectLayout(store, 'Z' + small, 'f')).toBeUndefined();
  });

  it('resolves two levels of indirection through the object layer', async () => {
    const store = new MemoryContentStore();
    const inner1 = await put(store, [Buffer.alloc(10, 1), Buffer.alloc(20, 2)]);
    const inner2 = await put(store, [Buffer.alloc(5, 3)]);
    const outer = 'I' + (await store.writeContent(buildIndirectObject(entriesFromChunks([{ length: 30, objectId: inner1 }, { length: 5, objectId: inner2 }])), { prefix: 'x' }));
    const layout = await resolveObjectLayout(store, outer, 'f');
    expect(layout?.length).toBe(35);
    expect(layout?.chunks.map((c) => [c.offset, c.length])).toEqual([[0, 10], [10, 20], [30, 5]]);
  });

  it('reports missing contents and length mismatches as CORRUPT naming the file', async () => {
    const store = new MemoryContentStore();
    await expect(resolveObjectLayout(store, 'ab'.repeat(16), 'file x/y')).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('file x/y') });
    await expect(resolveObjectLayout(store, 'Ix' + 'cd'.repeat(16), 'file x/z')).rejects.toMatchObject({
      code: 'CORRUPT',
      message: expect.stringContaining('file x/z: content x' + 'cd'.repeat(16)),
    });
    const part = await store.writeContent(Buffer.alloc(7), { prefix: '' });
    const lying = 'I' + (await store.writeContent(buildIndirectObject([{ start: 0, length: 9, objectId: part }]), { prefix: 'x' }));
    await expect(resolveObjectLayout(store, lying, 'file l')).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('has 7 bytes, the index says 9') });
  });
});
