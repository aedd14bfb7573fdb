// Cross-layer check: objects and manifests over the real ContentManager (packs, index, encryption,
// compression) on an in-memory blob store, read back by a second ContentManager opened afterwards.
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { ContentManager } from '../content/content-manager.ts';
import { testRepositoryFormat } from '../content/content-test-support.ts';
import { ObjectManager } from '../object/object-manager.ts';
import { ManifestManager } from './manifest-manager.ts';

describe('object and manifest layers over ContentManager', () => {
  it('round-trips a multi-chunk object, a listing-like k object and manifests through a reopen', async () => {
    const blobs = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const data = createCipheriv('aes-256-ctr', Buffer.alloc(32, 3), Buffer.alloc(16)).update(Buffer.alloc(3 << 20));

    const cm = await ContentManager.open(blobs, format);
    const om = new ObjectManager(cm);
    const w = om.newWriter({ compression: 'zstd' });
    for (let i = 0; i < data.length; i += 1 << 20) await w.write(data.subarray(i, i + (1 << 20)));
    const fileId = await w.result();
    expect(fileId).toMatch(/^Ix[0-9a-f]{32}$/); // 3 MiB with FASTCDC-1M: several chunks
    const dir = om.newWriter({ prefix: 'k', compression: 'zstd-fastest' });
    await dir.write(Buffer.from(`{"stream":"kopia:directory","entries":[{"name":"f","type":"f","obj":"${fileId}"}]}\n`));
    const dirId = await dir.result();
    expect(dirId).toMatch(/^k[0-9a-f]{32}$/);
    const mm = new ManifestManager(cm);
    const snapId = await mm.put({ type: 'snapshot', hostname: 'h', username: 'u', path: '/p' }, { rootEntry: { obj: dirId } });
    await mm.flush();
    await cm.close();

    const cm2 = await ContentManager.open(blobs, format);
    const mm2 = await ManifestManager.load(cm2);
    const found = await mm2.find({ type: 'snapshot' });
    expect(found.map((f) => f.id)).toEqual([snapId]);
    const snap = await mm2.get<{ rootEntry: { obj: string } }>(snapId);
    const om2 = new ObjectManager(cm2);
    const listing = JSON.parse((await (await om2.openObject(snap.payload.rootEntry.obj)).readAll()).toString()) as { entries: { obj: string }[] };
    const file = await om2.openObject(listing.entries[0]!.obj);
    expect(file.length).toBe(data.length);
    expect(await file.read(1_000_000, 2_000_000)).toEqual(data.subarray(1_000_000, 3_000_000));
    const contents = await om2.objectContents(fileId);
    expect(await om2.verifyObject(fileId)).toEqual(contents);
    expect(contents.filter((c) => c.startsWith('x'))).toHaveLength(1);
    await cm2.close();
  });
});
