import { describe, expect, it } from 'vitest';
import type { ContentInfo } from './content-info.ts';
import { IndexV2, IndexV2Builder } from './index-v2.ts';
import { IndexV1, IndexV1Builder } from './index-v1.ts';
import { openIndex } from './index-codec.ts';
import { contentIdToKey } from './content-id.ts';
import { CorruptionError } from '../errors.ts';

// The real 148-byte plaintext of `xn0_128bd65a…-sb5fde808214a345c132-c1` (kopia-format.md §6.2).
const PACK = 'q0b95991d1c2b74757ff0e03e852b5bf4-sb5fde808214a345c132';
const GOLDEN = Buffer.concat([
  Buffer.from('02' + '11' + '0010' + '00000002' + '00000001' + '01' + '00000000', 'hex'),
  Buffer.from('6b' + 'ae0402278ce3ba69a31b6a2b51165861', 'hex'),
  Buffer.from('67d00b68' + '00000020' + '00009a' + '0000b6' + '0000', 'hex'),
  Buffer.from('6d' + '3585743b4e152c889e0dee8eb4a1939d', 'hex'),
  Buffer.from('67d00b68' + '000000d6' + '0001c1' + '0001dd' + '0000', 'hex'),
  Buffer.from('36' + '0000005e', 'hex'),
  Buffer.from('00000000' + '03' + '00', 'hex'),
  Buffer.from(PACK, 'latin1'),
]);

const TS = Date.UTC(2025, 2, 11, 10, 7, 36) / 1000;

function info(over: Partial<ContentInfo> & { contentId: string }): ContentInfo {
  return {
    packBlobId: 'p00',
    packOffset: 0,
    packedLength: 0,
    originalLength: 0,
    timestampSeconds: TS,
    deleted: false,
    compressionHeaderId: 0,
    formatVersion: 2,
    encryptionKeyId: 0,
    ...over,
  };
}

function hash(n: number, prefix = ''): string {
  return prefix + n.toString(16).padStart(32, '0');
}

describe('index v2', () => {
  it('decodes the real 148-byte kopia index field by field', () => {
    expect(GOLDEN.length).toBe(148);
    const ix = new IndexV2(GOLDEN, 'golden');
    expect(ix.keySize).toBe(17);
    expect(ix.entrySize).toBe(16);
    expect(ix.entryCount).toBe(2);
    expect(ix.baseTimestamp).toBe(0);
    expect(ix.packBlobIds).toEqual([PACK]);
    expect(ix.formats).toEqual([{ compressionHeaderId: 0, formatVersion: 3, encryptionKeyId: 0 }]);
    expect(ix.info(0)).toEqual({
      contentId: 'kae0402278ce3ba69a31b6a2b51165861',
      packBlobId: PACK,
      packOffset: 32,
      packedLength: 182,
      originalLength: 154,
      timestampSeconds: TS,
      deleted: false,
      compressionHeaderId: 0,
      formatVersion: 3,
      encryptionKeyId: 0,
    });
    expect(new Date(ix.timestampSeconds(0) * 1000).toISOString()).toBe('2025-03-11T10:07:36.000Z');
    expect(ix.info(1)).toMatchObject({
      contentId: 'm3585743b4e152c889e0dee8eb4a1939d',
      packOffset: 214,
      originalLength: 449,
      packedLength: 477,
      deleted: false,
    });
    expect(ix.findKey(contentIdToKey('m3585743b4e152c889e0dee8eb4a1939d'))).toBe(1);
    expect(ix.findKey(contentIdToKey('m3585743b4e152c889e0dee8eb4a1939e'))).toBe(-1);
  });

  it('the builder reproduces the golden bytes exactly', () => {
    const b = new IndexV2Builder();
    // insertion order must not matter: the builder sorts
    b.add(info({ contentId: 'm3585743b4e152c889e0dee8eb4a1939d', packBlobId: PACK, packOffset: 214, originalLength: 449, packedLength: 477, formatVersion: 3 }));
    b.add(info({ contentId: 'kae0402278ce3ba69a31b6a2b51165861', packBlobId: PACK, packOffset: 32, originalLength: 154, packedLength: 182, formatVersion: 3 }));
    expect(b.build().toString('hex')).toBe(GOLDEN.toString('hex'));
  });

  it('ignores trailing bytes (pack-local indexes carry 32 random bytes)', () => {
    const b = new IndexV2Builder();
    b.add(info({ contentId: hash(1), packOffset: 32, packedLength: 50, originalLength: 22 }));
    const withSuffix = b.build({ randomSuffix: true });
    const plain = b.build();
    expect(withSuffix.length).toBe(plain.length + 32);
    expect(new IndexV2(withSuffix, 't').info(0)).toEqual(new IndexV2(plain, 't').info(0));
  });

  it('round trips mixed formats, deletions and orders pack/format tables by first appearance', () => {
    const b = new IndexV2Builder();
    const entries = [
      info({ contentId: hash(3, 'x'), packBlobId: 'qB', packOffset: 100, packedLength: 60, originalLength: 100, compressionHeaderId: 0x1101 }),
      info({ contentId: hash(1), packBlobId: 'pB', packOffset: 32, packedLength: 40, originalLength: 12, deleted: true, timestampSeconds: TS + 5 }),
      info({ contentId: hash(2), packBlobId: 'pA', packOffset: 72, packedLength: 40, originalLength: 12 }),
      info({ contentId: hash(9, 'k'), packBlobId: 'qB', packOffset: 160, packedLength: 40, originalLength: 12 }),
    ];
    for (const e of entries) b.add(e);
    const bytes = b.build();
    const ix = new IndexV2(bytes, 't');
    expect(ix.entrySize).toBe(17);
    // sorted order: unprefixed hash(1), hash(2), then 'k…', 'x…'
    expect(ix.packBlobIds).toEqual(['pB', 'pA', 'qB']);
    expect(ix.formats.map((f) => f.compressionHeaderId)).toEqual([0, 0x1101]);
    const got = Array.from({ length: ix.entryCount }, (_, i) => ix.info(i));
    expect(got).toEqual([entries[1], entries[2], entries[3], entries[0]]);
  });

  it('keeps the winning entry when a content is added twice', () => {
    const b = new IndexV2Builder();
    const id = hash(7);
    b.add(info({ contentId: id, packBlobId: 'pA', timestampSeconds: TS }));
    b.add(info({ contentId: id, packBlobId: 'pB', timestampSeconds: TS - 1 }));
    expect(b.get(id)?.packBlobId).toBe('pA');
    b.add(info({ contentId: id, packBlobId: 'pA', timestampSeconds: TS, deleted: true }));
    expect(b.get(id)?.deleted).toBe(false);
    b.add(info({ contentId: id, packBlobId: 'pC', timestampSeconds: TS }));
    expect(b.get(id)?.packBlobId).toBe('pC');
    expect(b.size).toBe(1);
  });

  it('uses the high-length byte for contents of 16 MiB and more', () => {
    const b = new IndexV2Builder();
    const big = 200 * 1024 * 1024 + 12345;
    b.add(info({ contentId: hash(1), packedLength: big + 28, originalLength: big, packOffset: 32 }));
    b.add(info({ contentId: hash(2), packedLength: 17 * 1024 * 1024, originalLength: 3, packOffset: 1 << 29 }));
    const ix = new IndexV2(b.build(), 't');
    expect(ix.entrySize).toBe(19);
    expect(ix.info(0)).toMatchObject({ packedLength: big + 28, originalLength: big });
    expect(ix.info(1)).toMatchObject({ packedLength: 17 * 1024 * 1024, originalLength: 3, packOffset: 1 << 29 });
    const tooBig = new IndexV2Builder();
    tooBig.add(info({ contentId: hash(1), packedLength: 1 << 28 }));
    expect(() => tooBig.build()).toThrow(RangeError);
  });

  it('uses the extended pack byte beyond 65536 packs', () => {
    const b = new IndexV2Builder(70000);
    const n = 65536 + 10;
    for (let i = 0; i < n; i++) {
      b.add(info({ contentId: hash(i), packBlobId: `p${i.toString(16).padStart(32, '0')}-s0123456789abcdef13a`, packOffset: 32, packedLength: 40, originalLength: 12 }));
    }
    const ix = new IndexV2(b.build(), 't');
    expect(ix.entrySize).toBe(18);
    expect(ix.packBlobIds.length).toBe(n);
    for (const i of [0, 1, 65535, 65536, n - 1]) {
      expect(ix.info(i).packBlobId).toBe(`p${i.toString(16).padStart(32, '0')}-s0123456789abcdef13a`);
      expect(ix.contentId(i)).toBe(hash(i));
    }
  });

  it('reports truncated or foreign bytes as corruption naming the source', () => {
    expect(() => new IndexV2(GOLDEN.subarray(0, 100), 'xn0_abc')).toThrow(/xn0_abc/);
    expect(() => openIndex(GOLDEN.subarray(0, 10), 'xn0_abc', 28)).toThrow(CorruptionError);
    expect(() => openIndex(Buffer.alloc(0), 'xn9_empty', 28)).toThrow(CorruptionError);
    expect(() => openIndex(Buffer.from([7, 1, 2]), 'n1', 28)).toThrow(CorruptionError);
  });
});

describe('index v1', () => {
  it('round trips and derives original lengths from the overhead', () => {
    const b = new IndexV1Builder();
    const e1 = info({ contentId: hash(5, 'k'), packBlobId: 'qX', packOffset: 32, packedLength: 128, originalLength: 100, formatVersion: 1 });
    const e2 = info({ contentId: hash(4), packBlobId: 'pY', packOffset: 64, packedLength: 60, originalLength: 32, deleted: true, formatVersion: 1 });
    b.add(e1);
    b.add(e2);
    const bytes = b.build({ randomSuffix: true });
    expect(bytes.subarray(0, 8).toString('hex')).toBe('01' + '11' + '0014' + '00000002');
    const ix = openIndex(bytes, 'n0', 28);
    expect(ix).toBeInstanceOf(IndexV1);
    expect(ix.info(0)).toEqual(e2);
    expect(ix.info(1)).toEqual(e1);
    expect(ix.packBlobId(1)).toBe('qX');
  });

  it('encodes an empty index as kopia does (key size 255)', () => {
    const bytes = new IndexV1Builder().build();
    expect(bytes.toString('hex')).toBe('01ff001400000000');
    expect(openIndex(bytes, 'n0', 28).entryCount).toBe(0);
  });

  it('refuses compressed entries', () => {
    const b = new IndexV1Builder();
    b.add(info({ contentId: hash(1), compressionHeaderId: 0x1100 }));
    expect(() => b.build()).toThrow(RangeError);
  });
});
