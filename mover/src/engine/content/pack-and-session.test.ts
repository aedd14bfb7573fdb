import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { listAll } from '../blob/blob-store.ts';
import { encryptBlob } from '../crypto/blob-crypto.ts';
import { UnsupportedError } from '../errors.ts';
import { testRepositoryFormat } from './content-test-support.ts';
import { encodePostamble, findPostamble } from './pack-postamble.ts';
import { PackWriter } from './pack-writer.ts';
import { readPackLocalIndex } from './pack-reader.ts';
import { openIndex } from './index-codec.ts';
import {
  decodeSessionInfo,
  encodeSessionInfo,
  generateSessionId,
  goTimeString,
  listActiveSessions,
  sessionIdFromBlobId,
  writeSessionMarker,
} from './session-marker.ts';
import { LEGACY_INDEX_POISON_BLOB_ID, LegacyIndexBlobManager } from './legacy-index-blobs.ts';
import { CommittedIndex } from './committed-index.ts';
import { EpochManager } from './epoch-manager.ts';
import { IndexV2Builder } from './index-v2.ts';

const format = testRepositoryFormat();
const { hasher, encryptor } = format;

describe('pack postamble', () => {
  it('round trips and matches kopia layout (version, iv, offset, length, crc, length byte)', () => {
    const iv = randomBytes(16);
    const p = encodePostamble({ localIndexIv: iv, localIndexOffset: 8192, localIndexLength: 300 });
    // 1 ‖ 16 ‖ iv ‖ varint(8192)=80 40 ‖ varint(300)=ac 02 ‖ crc ‖ len
    expect(p.subarray(0, 2)).toEqual(Buffer.from([1, 16]));
    expect(p.subarray(2, 18)).toEqual(iv);
    expect(p.subarray(18, 22)).toEqual(Buffer.from([0x80, 0x40, 0xac, 0x02]));
    expect(p.readUInt32BE(22)).toBe(crc32(p.subarray(0, 22)) >>> 0);
    expect(p[26]).toBe(26);
    const found = findPostamble(Buffer.concat([randomBytes(100), p]));
    expect(found).toEqual({ localIndexIv: iv, localIndexOffset: 8192, localIndexLength: 300 });
  });

  it('rejects a damaged postamble', () => {
    const p = encodePostamble({ localIndexIv: randomBytes(16), localIndexOffset: 4096, localIndexLength: 99 });
    p[5] = p[5]! ^ 1;
    expect(findPostamble(p)).toBeUndefined();
    expect(findPostamble(Buffer.from([1, 2, 3]))).toBeUndefined();
    expect(findPostamble(Buffer.alloc(0))).toBeUndefined();
  });

  it('indexes what it holds: a removed content is gone from lookups, the count and the local index until appended again', async () => {
    const store = new MemoryBlobStore();
    const pw = new PackWriter({ packBlobId: 'pdef-s1', indexVersion: 2, hasher, encryptor });
    const [a, b, c] = [0, 1, 2].map(() => randomBytes(16).toString('hex')) as [string, string, string];
    pw.append(a, Buffer.from('aaaa'), 4, 0, 1000, 3);
    pw.append(b, Buffer.from('bbbbbb'), 6, 0, 1000, 3);
    pw.append(c, Buffer.from('cc'), 2, 0, 1000, 3);
    expect(pw.remove(b)).toBe(true);
    expect(pw.remove(b)).toBe(false);
    expect(pw.get(b)).toBeUndefined();
    expect(pw.payload(b)).toBeUndefined();
    expect(pw.contentCount).toBe(2);
    expect([...pw.entries()].map((i) => i.contentId)).toEqual([a, c]);
    expect(pw.remove(c)).toBe(true);
    pw.append(c, Buffer.from('CCC'), 3, 0, 1000, 3); // again, same timestamp: the new bytes win, as a Map's set
    expect(pw.get(c)).toMatchObject({ packedLength: 3, originalLength: 3 });
    expect(pw.payload(c)?.toString()).toBe('CCC');
    await store.put('pdef-s1', pw.finish()!);
    const local = openIndex(await readPackLocalIndex(store, encryptor, 'pdef-s1'), 'pdef-s1', 0);
    const listed = Array.from({ length: local.entryCount }, (_, i) => local.info(i));
    expect(listed.map((i) => [i.contentId, i.packedLength]).sort()).toEqual([[a, 4], [c, 3]].sort());
  });

  it('reads the local index of a large pack with a full read when the tail is too short', async () => {
    const store = new MemoryBlobStore();
    const pw = new PackWriter({ packBlobId: 'pabc-s1', indexVersion: 2, hasher, encryptor });
    // many entries: the local index is larger than the 8 KiB tail
    for (let i = 0; i < 400; i++) pw.append(randomBytes(16).toString('hex'), randomBytes(40), 12, 0, 1000, 3);
    const bytes = pw.finish()!;
    expect(bytes.length % 4096).not.toBe(0);
    await store.put('pabc-s1', bytes);
    const local = await readPackLocalIndex(store, encryptor, 'pabc-s1');
    expect(local.readUInt32BE(4)).toBe(400);
  });
});

describe('session markers', () => {
  it('generates kopia-shaped session IDs with the 30-day period number', () => {
    const id = generateSessionId(new Date('2025-03-11T10:07:36Z'));
    expect(id).toMatch(/^s[0-9a-f]{16}132$/); // 0x132 = 306 periods, as in kopia-format.md §5.2
    expect(sessionIdFromBlobId('q0b95991d1c2b74757ff0e03e852b5bf4-sb5fde808214a345c132')).toBe('sb5fde808214a345c132');
    expect(sessionIdFromBlobId('xn0_abc-sb5fde808214a345c132-c1')).toBe('sb5fde808214a345c132');
    expect(sessionIdFromBlobId('pabc')).toBe('');
  });

  it('formats times as Go does', () => {
    expect(goTimeString(new Date('2025-03-11T10:07:36.000Z'))).toBe('2025-03-11T10:07:36Z');
    expect(goTimeString(new Date('2025-03-11T10:07:36.120Z'))).toBe('2025-03-11T10:07:36.12Z');
    expect(goTimeString(new Date('2025-03-11T10:07:30.000Z'))).toBe('2025-03-11T10:07:30Z');
    const info = { id: 's1', startTime: new Date(1000), checkpointTime: new Date(2500), username: 'u', hostname: 'h' };
    expect(JSON.parse(encodeSessionInfo(info).toString())).toEqual({
      id: 's1', startTime: '1970-01-01T00:00:01Z', checkpointTime: '1970-01-01T00:00:02.5Z', username: 'u', hostname: 'h',
    });
    expect(decodeSessionInfo(Buffer.from('{"id":"s2","startTime":"2025-03-11T10:07:36.123456789+02:00"}'), 'x').startTime.toISOString())
      .toBe('2025-03-11T08:07:36.123Z');
  });

  it('writes markers through blobcrypto and lists the newest checkpoint per session', async () => {
    const store = new MemoryBlobStore();
    const base = { id: 'sfeedfacecafebeef132', username: 'alice', hostname: 'pod' };
    const a = await writeSessionMarker(store, hasher, encryptor, { ...base, startTime: new Date(0), checkpointTime: new Date(1000) });
    await writeSessionMarker(store, hasher, encryptor, { ...base, startTime: new Date(0), checkpointTime: new Date(5000) });
    expect(a).toMatch(/^s[0-9a-f]{32}-sfeedfacecafebeef132$/);
    const sessions = await listActiveSessions(store, encryptor);
    expect(sessions.get('sfeedfacecafebeef132')?.checkpointTime.getTime()).toBe(5000);
  });
});

describe('legacy index blobs', () => {
  it('drops inputs of compaction logs whose outputs all exist, and refuses a poisoned repository', async () => {
    const store = new MemoryBlobStore();
    const m = new LegacyIndexBlobManager(store, hasher, encryptor, () => new Date());
    for (const id of ['n1', 'n2', 'n3', 'n4']) await store.put(id, Buffer.from('x'));
    const log = (inputs: string[], outputs: string[]) => encryptBlob(hasher, encryptor, 'm', '', Buffer.from(JSON.stringify({
      inputMetadata: inputs.map((id) => ({ id, length: 1, timestamp: '2025-01-01T00:00:00Z' })),
      outputMetadata: outputs.map((id) => ({ id, length: 1, timestamp: '2025-01-01T00:00:00Z' })),
    })));
    const valid = log(['n1', 'n2'], ['n3']);
    const dangling = log(['n4'], ['n9']);
    await store.put(valid.blobId, valid.data);
    await store.put(dangling.blobId, dangling.data);
    const active = await m.listActiveIndexBlobs();
    expect(active.blobs.map((b) => b.id).sort()).toEqual(['n3', 'n4']);
    await store.put(LEGACY_INDEX_POISON_BLOB_ID, Buffer.alloc(0));
    await expect(m.listActiveIndexBlobs()).rejects.toBeInstanceOf(UnsupportedError);
  });
});

describe('CommittedIndex', () => {
  it('rebuilds when compaction replaces index blobs and keeps its own recent writes', async () => {
    let now = Date.UTC(2025, 0, 1);
    const store = new MemoryBlobStore(() => new Date(now));
    const em = new EpochManager(store, format.config.epochParameters, { hasher, encryptor, now: () => new Date(now) });
    const entry = (id: string, pack: string) => ({
      contentId: id, packBlobId: pack, packOffset: 32, packedLength: 40, originalLength: 12, timestampSeconds: 100,
      deleted: false, compressionHeaderId: 0, formatVersion: 3, encryptionKeyId: 0,
    });
    const ids = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    const put = async (prefix: string, suffix: string, entries: ReturnType<typeof entry>[]) => {
      const b = new IndexV2Builder();
      for (const e of entries) b.add(e);
      const enc = encryptBlob(hasher, encryptor, prefix, suffix, b.build());
      await store.put(enc.blobId, enc.data);
      return enc.blobId;
    };
    const n1 = await put('xn0_', 'sa-c1', [entry(ids[0]!, 'p1')]);
    const n2 = await put('xn0_', 'sb-c1', [entry(ids[1]!, 'p2')]);
    const ci = new CommittedIndex(store, em, encryptor, { now: () => new Date(now), fetchParallelism: 2, refreshMs: 1000 });
    await ci.refresh();
    expect(ci.index.has(ids[0]!) && ci.index.has(ids[1]!)).toBe(true);
    const before = ci.index;
    // own write, not (yet) in a listing
    const own = new IndexV2Builder();
    const ownId = randomBytes(16).toString('hex');
    own.add(entry(ownId, 'p3'));
    ci.addOwnIndexBlob('xn0_ffffffffffffffffffffffffffffffff-sc-c1', own.build());
    expect(ci.index.has(ownId)).toBe(true);
    // maintenance: compaction moves epoch 0 into one xs set and the epoch advances twice
    await put('xs0_', 'sZ-c1', [entry(ids[0]!, 'p1'), entry(ids[1]!, 'p2')]);
    await store.put('xe1', Buffer.from('epoch-marker'));
    await store.put('xe2', Buffer.from('epoch-marker'));
    await store.delete(n1);
    await store.delete(n2);
    now += 30 * 60_000;
    await ci.refresh();
    expect(ci.index).not.toBe(before);
    expect(ci.indexBlobIds.some((id) => id.startsWith('xs0_'))).toBe(true);
    expect(ci.index.has(ids[0]!) && ci.index.has(ids[1]!)).toBe(true);
    expect(ci.index.has(ownId)).toBe(false); // older than 15 minutes and not listed any more
    expect((await listAll(store, 'x')).length).toBeGreaterThan(0);
  });
});
