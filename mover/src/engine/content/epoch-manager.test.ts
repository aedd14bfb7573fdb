import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import type { BlobMetadata } from '../blob/blob-store.ts';
import { createHasher } from '../crypto/hashers.ts';
import { createEncryptor } from '../crypto/encryptors.ts';
import { decryptBlob } from '../crypto/blob-crypto.ts';
import type { EpochParameters } from '../format/repository-config.ts';
import {
  completeIndexSet,
  epochNumberFromBlobId,
  epochRangeFromBlobId,
  epochSnapshotFromListings,
  findAllCompleteSets,
  findLongestRangeCheckpoint,
  type EpochListings,
} from './epoch-sets.ts';
import { EpochManager } from './epoch-manager.ts';
import { SlowIndexWriteError } from './content-errors.ts';

const T0 = new Date('2025-01-01T00:00:00Z');

function md(id: string, minutes = 0): BlobMetadata {
  return { id, length: 100, timestamp: new Date(T0.getTime() + minutes * 60_000) };
}

function listings(ids: string[]): EpochListings {
  const by = (p: string) => ids.filter((i) => i.startsWith(p)).map((i) => md(i));
  return {
    epochMarkers: by('xe'),
    watermarks: by('xw'),
    singleEpochCompactions: by('xs'),
    rangeCheckpoints: by('xr'),
    uncompacted: by('xn'),
  };
}

const ids = (blobs: readonly BlobMetadata[]) => blobs.map((b) => b.id).sort();

const PARAMS: EpochParameters = {
  enabled: true,
  epochRefreshFrequencyMs: 20 * 60_000,
  fullCheckpointFrequency: 7,
  cleanupSafetyMarginMs: 4 * 3600_000,
  minEpochDurationMs: 24 * 3600_000,
  epochAdvanceOnCountThreshold: 20,
  epochAdvanceOnTotalSizeBytesThreshold: 10 << 20,
  deleteParallelism: 4,
};

describe('epoch blob names', () => {
  it('parses epoch numbers and ranges as kopia does', () => {
    expect(epochNumberFromBlobId('xn12_abc-s1-c1')).toBe(12);
    expect(epochNumberFromBlobId('xe7')).toBe(7);
    expect(epochNumberFromBlobId('xnfoo_abc')).toBeUndefined();
    expect(epochRangeFromBlobId('xr0_6_abc-sX-c2')).toEqual([0, 6]);
    expect(epochRangeFromBlobId('xr0_abc')).toBeUndefined();
  });

  it('finds complete sets in listing order; malformed names are sets of one', () => {
    const sets = findAllCompleteSets([md('xs1_a-sA-c2'), md('xs1_b-sB-c1'), md('xs1_c-sA-c2'), md('xs1_d'), md('xs1_e-sC-c3')]);
    expect(sets.map((s) => s.map((b) => b.id))).toEqual([['xs1_b-sB-c1'], ['xs1_a-sA-c2', 'xs1_c-sA-c2'], ['xs1_d']]);
  });

  it('prefers the range chain reaching furthest, then the one with fewer ranges', () => {
    const r = (a: number, b: number) => ({ minEpoch: a, maxEpoch: b, blobs: [md(`xr${a}_${b}_h-sX-c1`)] });
    expect(findLongestRangeCheckpoint([r(0, 3), r(4, 9), r(0, 9), r(10, 12), r(5, 20)]).map((c) => [c.minEpoch, c.maxEpoch]))
      .toEqual([[0, 9], [10, 12]]);
    expect(findLongestRangeCheckpoint([r(1, 5)])).toEqual([]);
  });
});

describe('complete index set', () => {
  it('uses all uncompacted blobs while epochs are unsettled', () => {
    const s = epochSnapshotFromListings(listings(['xe0', 'xe1', 'xn0_a-s1-c1', 'xn1_b-s2-c1', 'xn2_c-s3-c1', 'xn3_d-s4-c1', 'xs0_z-sQ-c1']), 0);
    expect(s.writeEpoch).toBe(1);
    // epoch 0 is not settled (1 - 2 < 0): its xs set is ignored; epoch 3 > writeEpoch + 1 is ignored
    expect(ids(completeIndexSet(s))).toEqual(['xn0_a-s1-c1', 'xn1_b-s2-c1', 'xn2_c-s3-c1']);
  });

  it('replaces settled epochs by complete compaction sets and ignores incomplete ones', () => {
    const s = epochSnapshotFromListings(listings([
      'xe0', 'xe1', 'xe2', 'xe3', 'xe4',
      'xn0_a-s1-c1', 'xn1_b-s2-c1', 'xn2_c-s3-c1', 'xn3_d-s4-c1', 'xn4_e-s5-c1', 'xn5_f-s6-c1',
      'xs0_x0-sA-c1',
      'xs1_x1-sB-c2', // incomplete: epoch 1 stays uncompacted
      'xs2_x2-sC-c2', 'xs2_y2-sC-c2',
      'xs3_x3-sD-c1', // epoch 3 is not settled (4 - 2 = 2)
    ]), 0);
    expect(s.writeEpoch).toBe(4);
    expect(ids(completeIndexSet(s))).toEqual([
      'xn1_b-s2-c1', 'xn3_d-s4-c1', 'xn4_e-s5-c1', 'xn5_f-s6-c1', 'xs0_x0-sA-c1', 'xs2_x2-sC-c2', 'xs2_y2-sC-c2',
    ]);
  });

  it('starts after the range checkpoint chain and reads the newest deletion watermark', () => {
    const s = epochSnapshotFromListings(listings([
      'xe9', 'xe10',
      'xr0_5_r1-sR-c2', 'xr0_5_r2-sR-c2',
      'xr6_7_q-sQ-c2', // incomplete range: not used
      'xn6_a-s1-c1', 'xn7_b-s2-c1', 'xn8_c-s3-c1', 'xn9_d-s4-c1', 'xn10_e-s5-c1', 'xn3_old-s6-c1',
      'xs6_s6-sS-c1',
      'xw1700000000', 'xw1800000000', 'xwgarbage',
    ]), 0);
    expect(s.writeEpoch).toBe(10);
    expect(s.deletionWatermarkSeconds).toBe(1_800_000_000);
    expect(ids(completeIndexSet(s))).toEqual([
      'xn10_e-s5-c1', 'xn7_b-s2-c1', 'xn8_c-s3-c1', 'xn9_d-s4-c1', 'xr0_5_r1-sR-c2', 'xr0_5_r2-sR-c2', 'xs6_s6-sS-c1',
    ]);
  });
});

describe('EpochManager', () => {
  const hasher = createHasher('HMAC-SHA256-128', randomBytes(32));
  const encryptor = createEncryptor('AES256-GCM-HMAC-SHA256', randomBytes(32));

  it('writes xn<writeEpoch>_ blobs with the session suffix, readable through blobcrypto', async () => {
    let now = T0.getTime();
    const store = new MemoryBlobStore(() => new Date(now));
    await store.put('xe0', Buffer.from('epoch-marker'));
    await store.put('xe3', Buffer.from('epoch-marker'));
    const em = new EpochManager(store, PARAMS, { hasher, encryptor, now: () => new Date(now) });
    const data = Buffer.from('index bytes');
    const [w] = await em.writeIndexBlobs([data], 'sabcdef0123456789132');
    expect(w!.id).toMatch(/^xn3_[0-9a-f]{32}-sabcdef0123456789132-c1$/);
    expect(decryptBlob(encryptor, w!.id, await store.get(w!.id))).toEqual(data);
    const active = await em.listActiveIndexBlobs();
    expect(active.blobs.map((b) => b.id)).toEqual([w!.id]);
    // cached state: a new marker is only seen after the refresh period
    await store.put('xe4', Buffer.from('epoch-marker'));
    expect((await em.current()).writeEpoch).toBe(3);
    now += PARAMS.epochRefreshFrequencyMs + 1;
    expect((await em.current()).writeEpoch).toBe(4);
  });

  it('refreshes a state that would expire within 75% of the refresh period before writing', async () => {
    let now = T0.getTime();
    const store = new MemoryBlobStore(() => new Date(now));
    const em = new EpochManager(store, PARAMS, { hasher, encryptor, now: () => new Date(now) });
    expect((await em.current()).writeEpoch).toBe(0);
    await store.put('xe1', Buffer.from('epoch-marker'));
    now += PARAMS.epochRefreshFrequencyMs / 2; // state still valid, but for less than 75%
    const [w] = await em.writeIndexBlobs([Buffer.from('x')], 's0000000000000000132');
    expect(w!.id.startsWith('xn1_')).toBe(true);
  });

  it('deletes and reports an index write that completed two epochs late', async () => {
    const now = T0.getTime();
    const store = new MemoryBlobStore(() => new Date(now));
    const slowStore = Object.create(store) as MemoryBlobStore;
    slowStore.put = async (id, data, opts) => {
      await store.put(id, data, opts);
      if (id.startsWith('xn')) {
        await store.put('xe1', Buffer.from('epoch-marker'));
        await store.put('xe2', Buffer.from('epoch-marker'));
      }
    };
    const em = new EpochManager(slowStore, PARAMS, { hasher, encryptor, now: () => new Date(now) });
    await expect(em.writeIndexBlobs([Buffer.from('x')], 's0000000000000000132')).rejects.toBeInstanceOf(SlowIndexWriteError);
    const left: string[] = [];
    for await (const m of store.list('xn')) left.push(m.id);
    expect(left).toEqual([]);
  });
});
