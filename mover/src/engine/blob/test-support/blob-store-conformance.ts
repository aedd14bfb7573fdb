// The one conformance suite every BlobStore must pass (imported only by tests). It registers vitest tests
// for a store factory; each test gets a fresh, empty store. The suite checks the invariants listed in
// blob-store.ts: atomic puts, BlobNotFoundError for missing blobs, idempotent deletes, prefix listing
// with storage timestamps, ranged reads, ifNotExists, binary safety and kopia-style IDs.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { listAll, type BlobStore } from '../blob-store.ts';
import { BlobExistsError, BlobNotFoundError } from '../blob-errors.ts';

export interface ConformanceStore {
  readonly store: BlobStore;
  /** Removes whatever the store created (directory, bucket prefix). */
  cleanup?(): Promise<void>;
}

export interface ConformanceOptions {
  /** How many blobs the listing test writes; use > 1000 for S3 to cross a ListObjectsV2 page. */
  readonly manyBlobs?: number;
  /** Largest blob the tests write (default 4 MiB). */
  readonly largeBlobBytes?: number;
}

/** IDs in the shapes kopia uses (see kopia-format.md §0). */
export const KOPIA_STYLE_IDS = [
  'kopia.repository',
  'kopia.blobcfg',
  'kopia.maintenance',
  'xn0_abc-s0123-c1',
  'xn12_0123456789abcdef0123456789abcdef-s0123456789abcdef-c1',
  'xe3',
  'xw1700000000',
  'p0123456789abcdef0123456789abcdef-s0123456789abcdef-c1',
  'q0123456789abcdef0123456789abcdef-s0123456789abcdef-c1',
  's0123456789abcdef0123456789abcdef-s0123456789abcdef',
  '_log_20250101000000_abcd_1700000000_1700000001_1_0123456789abcdef0123456789abcdef',
];

function sortedIds(items: { id: string }[]): string[] {
  return items.map((m) => m.id).sort();
}

export function describeBlobStoreConformance(
  name: string,
  factory: () => Promise<ConformanceStore>,
  options: ConformanceOptions = {},
): void {
  const manyBlobs = options.manyBlobs ?? 150;
  const large = options.largeBlobBytes ?? 4 * 1024 * 1024;

  describe(`BlobStore conformance: ${name}`, () => {
    let current: ConformanceStore | undefined;
    async function fresh(): Promise<BlobStore> {
      current = await factory();
      return current.store;
    }
    afterEach(async () => {
      if (current === undefined) return;
      await current.store.close();
      await current.cleanup?.();
      current = undefined;
    });

    it('puts and gets whole blobs, including empty and binary data', async () => {
      const s = await fresh();
      const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await s.put('b-binary', binary);
      await s.put('b-empty', new Uint8Array(0));
      const big = randomBytes(large);
      await s.put('b-large', big);
      expect(Buffer.compare(await s.get('b-binary'), binary)).toBe(0);
      expect((await s.get('b-empty')).length).toBe(0);
      expect(Buffer.compare(await s.get('b-large'), big)).toBe(0);
      expect(s.description).not.toBe('');
    });

    it('reads byte ranges, including the first and last byte, and rejects ranges past the end', async () => {
      const s = await fresh();
      const data = randomBytes(100_000);
      await s.put('r1', data);
      expect(Buffer.compare(await s.get('r1', { offset: 0, length: 1 }), data.subarray(0, 1))).toBe(0);
      expect(Buffer.compare(await s.get('r1', { offset: 12_345, length: 50_000 }), data.subarray(12_345, 62_345))).toBe(0);
      expect(Buffer.compare(await s.get('r1', { offset: 99_999, length: 1 }), data.subarray(99_999))).toBe(0);
      expect((await s.get('r1', { offset: 100_000, length: 0 })).length).toBe(0);
      await expect(s.get('r1', { offset: 99_990, length: 11 })).rejects.toThrow();
      await expect(s.get('r1', { offset: 200_000, length: 10 })).rejects.toThrow();
      await expect(s.get('missing', { offset: 0, length: 1 })).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('reads a range into a caller\'s buffer when given one (or into its own: the result holds the bytes)', async () => {
      const s = await fresh();
      const data = randomBytes(100_000);
      await s.put('r2', data);
      const into = Buffer.from(new SharedArrayBuffer(64_000));
      const got = await s.get('r2', { offset: 10_000, length: 50_000, into });
      expect(Buffer.compare(got, data.subarray(10_000, 60_000))).toBe(0);
      if (got.buffer === into.buffer) expect(Buffer.compare(into.subarray(0, 50_000), data.subarray(10_000, 60_000))).toBe(0);
      const small = Buffer.alloc(10);
      expect(Buffer.compare(await s.get('r2', { offset: 0, length: 20, into: small }), data.subarray(0, 20))).toBe(0);
    });

    it('reads ranges of a MiB and more exactly (the S3 store sends them through undici), and rejects them past the end', async () => {
      const s = await fresh();
      const data = randomBytes(3 * 2 ** 20 + 5);
      await s.put('r3', data);
      const into = Buffer.from(new SharedArrayBuffer(2 ** 21));
      const got = await s.get('r3', { offset: 2 ** 20 + 3, length: 2 ** 21, into });
      expect(Buffer.compare(got, data.subarray(2 ** 20 + 3, 2 ** 20 + 3 + 2 ** 21))).toBe(0);
      expect(Buffer.compare(await s.get('r3', { offset: 2 ** 20 + 5, length: 2 ** 21 }), data.subarray(2 ** 20 + 5))).toBe(0);
      await expect(s.get('r3', { offset: 2 ** 21, length: 2 ** 21 })).rejects.toThrow();
      await expect(s.get('r3', { offset: 2 ** 23, length: 2 ** 20 })).rejects.toThrow();
      await expect(s.get('missing', { offset: 0, length: 2 ** 20 })).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('overwrites an existing blob with a plain put', async () => {
      const s = await fresh();
      await s.put('o1', Buffer.from('first version, longer'));
      await s.put('o1', Buffer.from('second'));
      expect((await s.get('o1')).toString()).toBe('second');
      expect((await s.stat('o1')).length).toBe(6);
    });

    it('ifNotExists creates once and then fails with BlobExistsError, keeping the first content', async () => {
      const s = await fresh();
      await s.put('kopia.repository', Buffer.from('one'), { ifNotExists: true });
      const err = await s.put('kopia.repository', Buffer.from('two'), { ifNotExists: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlobExistsError);
      expect((err as BlobExistsError).code).toBe('REPO_EXISTS');
      expect((await s.get('kopia.repository')).toString()).toBe('one');
    });

    it('ifNotExists lets exactly one of several concurrent creators win', async () => {
      const s = await fresh();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => s.put('race', Buffer.from(`writer-${i}`), { ifNotExists: true })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won.length).toBe(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BlobExistsError);
      expect((await s.get('race')).toString()).toMatch(/^writer-\d$/);
    });

    it('stats length and a storage timestamp close to now', async () => {
      const s = await fresh();
      const before = Date.now();
      await s.put('st', randomBytes(1234));
      const m = await s.stat('st');
      expect(m.id).toBe('st');
      expect(m.length).toBe(1234);
      // Storage clocks (S3 LastModified has 1 s resolution) may differ slightly from ours.
      expect(Math.abs(m.timestamp.getTime() - before)).toBeLessThan(60_000);
      await expect(s.stat('nope')).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('throws BlobNotFoundError (code NOT_FOUND) for a missing blob', async () => {
      const s = await fresh();
      const err = await s.get('p0123456789abcdef0123456789abcdef-missing').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlobNotFoundError);
      expect((err as BlobNotFoundError).code).toBe('NOT_FOUND');
      expect((err as BlobNotFoundError).blobId).toBe('p0123456789abcdef0123456789abcdef-missing');
    });

    it('deletes idempotently', async () => {
      const s = await fresh();
      await s.put('d1', Buffer.from('x'));
      await s.delete('d1');
      await expect(s.get('d1')).rejects.toBeInstanceOf(BlobNotFoundError);
      await s.delete('d1');
      await s.delete('never-existed-0123456789abcdef0123456789');
      expect(await listAll(s, 'd')).toEqual([]);
    });

    it('round-trips kopia-style IDs with dashes, underscores and dots', async () => {
      const s = await fresh();
      for (const id of KOPIA_STYLE_IDS) await s.put(id, Buffer.from(`content of ${id}`));
      for (const id of KOPIA_STYLE_IDS) expect((await s.get(id)).toString()).toBe(`content of ${id}`);
      expect(sortedIds(await listAll(s, ''))).toEqual([...KOPIA_STYLE_IDS].sort());
      expect(sortedIds(await listAll(s, 'kopia.'))).toEqual(['kopia.blobcfg', 'kopia.maintenance', 'kopia.repository']);
      expect(sortedIds(await listAll(s, 'xn'))).toEqual(KOPIA_STYLE_IDS.filter((i) => i.startsWith('xn')).sort());
      expect(sortedIds(await listAll(s, 'xn0_'))).toEqual(['xn0_abc-s0123-c1']);
      expect(sortedIds(await listAll(s, 'p0123456789abcdef0123456789abcdef-s'))).toEqual([KOPIA_STYLE_IDS[7]]);
    });

    it(`lists by prefix across ${manyBlobs} blobs with lengths and timestamps`, async () => {
      const s = await fresh();
      const ids = Array.from({ length: manyBlobs }, (_, i) => `p${i.toString(16).padStart(32, '0')}-s0123456789abcdef-c1`);
      const others = ['q00000000000000000000000000000000-s1-c1', 'xn0_one-s1-c1', 'pshort'];
      const all = [...ids, ...others];
      for (let i = 0; i < all.length; i += 32) {
        await Promise.all(all.slice(i, i + 32).map((id, j) => s.put(id, Buffer.alloc((i + j) % 7, 1))));
      }
      const listed = await listAll(s, 'p');
      expect(listed.length).toBe(manyBlobs + 1);
      expect(new Set(listed.map((m) => m.id)).size).toBe(listed.length);
      expect(sortedIds(listed)).toEqual([...ids, 'pshort'].sort());
      for (const m of listed) {
        expect(m.length).toBe(all.indexOf(m.id) % 7);
        expect(m.timestamp).toBeInstanceOf(Date);
        expect(Number.isNaN(m.timestamp.getTime())).toBe(false);
      }
      expect(sortedIds(await listAll(s, `p${'0'.repeat(30)}1`))).toEqual(ids.filter((i) => i.startsWith(`p${'0'.repeat(30)}1`)));
      expect(await listAll(s, 'z')).toEqual([]);
      expect((await listAll(s, '')).length).toBe(all.length);
    });

    it('never shows a reader a partially written blob', async () => {
      const s = await fresh();
      const size = 512 * 1024;
      const versions = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66].map((b) => Buffer.alloc(size, b));
      let writing = true;
      const writer = (async () => {
        for (const v of versions) await s.put('atomic', v);
        writing = false;
      })();
      const seen = new Set<number>();
      const readers = Array.from({ length: 3 }, async () => {
        while (writing) {
          let data: Buffer;
          try {
            data = await s.get('atomic');
          } catch (e) {
            expect(e).toBeInstanceOf(BlobNotFoundError); // before the first put lands
            continue;
          }
          expect(data.length).toBe(size);
          const first = data[0]!;
          expect(data.every((b) => b === first)).toBe(true);
          seen.add(first);
        }
      });
      await Promise.all([writer, ...readers]);
      expect(Buffer.compare(await s.get('atomic'), versions.at(-1)!)).toBe(0);
      // A listing during writes must never expose temporary names.
      expect(sortedIds(await listAll(s, ''))).toEqual(['atomic']);
      expect(seen.size).toBeGreaterThan(0);
    });

    it('keeps the data a caller passed even if the caller reuses its buffer afterwards', async () => {
      const s = await fresh();
      const buf = Buffer.from('original');
      await s.put('reuse', buf);
      buf.fill(0);
      expect((await s.get('reuse')).toString()).toBe('original');
    });
  });
}
