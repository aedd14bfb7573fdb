import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.ts';
import { MemoryContentStore } from '../object/test-support/memory-content-store.ts';
import { GoRawJson } from '../format/go-json.ts';
import type { ManifestRecord } from './manifest-codec.ts';
import { encodeManifestContent } from './manifest-codec.ts';
import { InvalidManifestError, ManifestManager } from './manifest-manager.ts';
import { formatRfc3339Nano } from './rfc3339-nano.ts';

const T0 = 1741687656000000000n;

function clock(start = T0): () => bigint {
  let t = start;
  return () => (t += 1000n); // 1 microsecond per call: below JS Date resolution
}

function record(id: string, ns: bigint, extra: Partial<ManifestRecord> = {}): ManifestRecord {
  return { id, labels: { type: 'snapshot' }, modified: formatRfc3339Nano(ns), modifiedNs: ns, deleted: false, data: '{"v":1}', ...extra };
}

describe('ManifestManager', () => {
  it('puts, finds, gets and persists manifests across managers', async () => {
    const store = new MemoryContentStore();
    const a = new ManifestManager(store, { now: clock() });
    const id1 = await a.put({ type: 'snapshot', hostname: 'h1' }, { n: 1, s: '<a>' });
    const id2 = await a.put({ type: 'snapshot', hostname: 'h2' }, { n: 2 });
    const id3 = await a.put({ type: 'policy' }, new GoRawJson('{"retention":{}}'));
    expect(id1).toMatch(/^[0-9a-f]{32}$/);
    expect((await a.find({ type: 'snapshot' })).map((m) => m.id)).toEqual([id1, id2]); // ordered by modified
    const got = await a.get<{ n: number; s: string }>(id1);
    expect(got).toMatchObject({ id: id1, labels: { type: 'snapshot', hostname: 'h1' }, payload: { n: 1, s: '<a>' } });
    expect(got.length).toBe(Buffer.byteLength('{"n":1,"s":"\\u003ca\\u003e"}'));
    expect(got.modified).toBe('2025-03-11T10:07:36.000001Z');

    const b = new ManifestManager(store);
    expect(await b.find({ type: 'snapshot' })).toEqual([]); // not flushed yet
    await a.flush();
    b.reload();
    expect((await b.find({ type: 'snapshot' })).map((m) => m.id)).toEqual([id1, id2]);
    expect((await b.find({ type: 'snapshot', hostname: 'h2' })).map((m) => m.id)).toEqual([id2]);
    expect((await b.get(id3)).payload).toEqual({ retention: {} });
    expect(await b.find({})).toHaveLength(3);
  });

  it('flush writes ONE gzip\'d m content with zstd-fastest requested, then flushes contents', async () => {
    const store = new MemoryContentStore();
    const m = new ManifestManager(store, { now: clock() });
    await m.put({ type: 'a' }, 1);
    await m.put({ type: 'b' }, 2);
    await m.flush();
    expect(store.writes).toHaveLength(1);
    expect(store.writes[0]).toMatchObject({ prefix: 'm', compression: 'zstd-fastest' });
    expect(store.flushCount).toBe(1);
    const doc = JSON.parse(gunzipSync(store.raw(store.writes[0]!.contentId)).toString()) as { entries: unknown[] };
    expect(doc.entries).toHaveLength(2);
    await m.flush(); // nothing pending: no new content
    expect(store.writes).toHaveLength(1);
  });

  it('requires a type label', async () => {
    const m = new ManifestManager(new MemoryContentStore());
    await expect(m.put({ hostname: 'h' }, {})).rejects.toBeInstanceOf(InvalidManifestError);
    await expect(m.put({ type: '' }, {})).rejects.toBeInstanceOf(InvalidManifestError);
  });

  it('deletes with a tombstone that wins over the entry, even with a clock behind it', async () => {
    const store = new MemoryContentStore();
    const a = new ManifestManager(store, { now: clock() });
    const id = await a.put({ type: 'snapshot' }, {});
    await a.flush();
    const skewed = new ManifestManager(store, { now: () => T0 - 3_600_000_000_000n }); // an hour behind
    await skewed.delete(id);
    await expect(skewed.get(id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await skewed.find({ type: 'snapshot' })).toEqual([]);
    await skewed.flush();
    const c = new ManifestManager(store);
    expect(await c.find({})).toEqual([]);
    await expect(c.get(id)).rejects.toBeInstanceOf(NotFoundError);
    await c.delete('00000000000000000000000000000000'); // unknown: ignored
    await c.flush();
    expect(store.writes).toHaveLength(2);
  });

  it('merges contents by id: the latest modified wins at nanosecond precision, tombstones drop entries', async () => {
    const store = new MemoryContentStore();
    const put = (records: ManifestRecord[]): Promise<string> => store.writeContent(encodeManifestContent(records), { prefix: 'm' });
    // same millisecond, different nanoseconds; written in both orders
    await put([record('a', T0 + 2n, { data: '{"v":"new"}' }), record('b', T0 + 5n, { data: '{"v":"old"}' })]);
    await put([record('a', T0 + 1n, { data: '{"v":"old"}' }), record('b', T0 + 6n, { data: '{"v":"new"}' })]);
    // c is deleted by a later tombstone; d's tombstone is older than its latest version
    await put([record('c', T0), record('d', T0 + 10n, { data: '{"v":"new"}' })]);
    await put([record('c', T0 + 1n, { labels: null, deleted: true, data: null }), record('d', T0 + 9n, { labels: null, deleted: true, data: null })]);
    const m = new ManifestManager(store);
    expect((await m.get<{ v: string }>('a')).payload.v).toBe('new');
    expect((await m.get<{ v: string }>('b')).payload.v).toBe('new');
    await expect(m.get('c')).rejects.toBeInstanceOf(NotFoundError);
    expect((await m.get<{ v: string }>('d')).payload.v).toBe('new');
    expect((await m.find({ type: 'snapshot' })).map((e) => e.id)).toEqual(['a', 'b', 'd']);
  });

  it('ignores deleted m contents', async () => {
    const store = new MemoryContentStore();
    const cid = await store.writeContent(encodeManifestContent([record('a', T0)]), { prefix: 'm' });
    await store.deleteContent(cid);
    expect(await new ManifestManager(store).find({})).toEqual([]);
  });

  it('compacts all manifests into one content and deletes the rest', async () => {
    const store = new MemoryContentStore();
    const m = new ManifestManager(store, { now: clock() });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(await m.put({ type: 'snapshot', n: String(i) }, { i }));
      await m.flush();
    }
    await m.delete(ids[0]!);
    await m.flush();
    const live = () => [...store.iterateContents({ prefix: 'm' })].map((c) => c.contentId);
    expect(live()).toHaveLength(5);
    await m.compact();
    expect(live()).toHaveLength(1);
    const fresh = new ManifestManager(store);
    expect((await fresh.find({ type: 'snapshot' })).map((e) => e.id)).toEqual(ids.slice(1));
    expect((await fresh.get<{ i: number }>(ids[3]!)).payload.i).toBe(3);
  });

  it('auto-compacts on load only when asked to', async () => {
    const store = new MemoryContentStore();
    const m = new ManifestManager(store, { now: clock() });
    for (let i = 0; i < 3; i++) {
      await m.put({ type: 't' }, i);
      await m.flush();
    }
    const count = () => [...store.iterateContents({ prefix: 'm' })].length;
    await new ManifestManager(store).find({});
    expect(count()).toBe(3);
    const auto = new ManifestManager(store, { autoCompactThreshold: 3 });
    expect(await auto.find({ type: 't' })).toHaveLength(3);
    expect(count()).toBe(1);
  });

  it('reports damaged manifest contents, at open with load()', async () => {
    const store = new MemoryContentStore();
    await store.writeContent(Buffer.from('garbage'), { prefix: 'm' });
    await expect(new ManifestManager(store).find({})).rejects.toThrow(/not valid gzip/);
    await expect(ManifestManager.load(store)).rejects.toThrow(/not valid gzip/);
  });
});
