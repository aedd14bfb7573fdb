import { indexSetForEpochs } from './epoch-sets.ts';
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { listAll, type BlobMetadata } from '../blob/blob-store.ts';
import type { EpochParameters } from '../format/repository-config.ts';
import { ContentManager } from './content-manager.ts';
import { testRepositoryFormat } from './content-test-support.ts';
import {
  EpochMaintenance, maxCleanupTime, obsoleteEpochMarkers, oldestUncompactedEpoch, rangeToCompact,
  shouldAdvanceEpoch,
} from './epoch-maintenance.ts';
import { epochSnapshotFromListings, type EpochListings } from './epoch-sets.ts';
import { compactIndexBlobs, mergeIndexBlobs } from './index-compaction.ts';

const HOUR = 3600_000;
const T0 = Date.parse('2025-03-01T00:00:00Z');

const PARAMS: EpochParameters = {
  enabled: true,
  epochRefreshFrequencyMs: 20 * 60_000,
  fullCheckpointFrequency: 3,
  cleanupSafetyMarginMs: 4 * HOUR,
  minEpochDurationMs: 24 * HOUR,
  epochAdvanceOnCountThreshold: 10,
  epochAdvanceOnTotalSizeBytesThreshold: 10 << 20,
  deleteParallelism: 2,
};

function md(id: string, hours = 0, length = 100): BlobMetadata {
  return { id, length, timestamp: new Date(T0 + hours * HOUR) };
}

function snapshot(blobs: BlobMetadata[]) {
  const by = (p: string) => blobs.filter((b) => b.id.startsWith(p));
  const l: EpochListings = {
    epochMarkers: by('xe'), watermarks: by('xw'), singleEpochCompactions: by('xs'), rangeCheckpoints: by('xr'), uncompacted: by('xn'),
  };
  return epochSnapshotFromListings(l, Number.MAX_SAFE_INTEGER);
}

describe('epoch rules (pure)', () => {
  it('advances only after MinEpochDuration and enough blobs or bytes', () => {
    const spanShort = Array.from({ length: 30 }, (_, i) => md(`xn0_${i}`, i * 0.5)); // 14.5 h
    expect(shouldAdvanceEpoch(spanShort, PARAMS)).toBe(false);
    const few = [md('xn0_a', 0), md('xn0_b', 25)];
    expect(shouldAdvanceEpoch(few, PARAMS)).toBe(false);
    const big = [md('xn0_a', 0, 6 << 20), md('xn0_b', 25, 5 << 20)];
    expect(shouldAdvanceEpoch(big, PARAMS)).toBe(true);
    const many = Array.from({ length: 10 }, (_, i) => md(`xn0_${i}`, i * 3));
    expect(shouldAdvanceEpoch(many, PARAMS)).toBe(true);
    expect(shouldAdvanceEpoch([], PARAMS)).toBe(false);
  });

  it('picks the oldest epoch without a compacted set after the range chain', () => {
    expect(oldestUncompactedEpoch(snapshot([md('xe5')]))).toBe(0);
    expect(oldestUncompactedEpoch(snapshot([md('xe5'), md('xs0_a-s1-c1'), md('xs1_b-s2-c1'), md('xs3_c-s3-c1')]))).toBe(2);
    expect(oldestUncompactedEpoch(snapshot([md('xe9'), md('xr0_4_a-s1-c1'), md('xs5_b-s2-c1'), md('xs6_c-s3-c1')]))).toBe(7);
    expect(() => oldestUncompactedEpoch(snapshot([md('xr2_4_a-s1-c1')]))).not.toThrow(); // chain must start at 0: ignored
  });

  it('schedules range checkpoints every FullCheckpointFrequency settled epochs', () => {
    expect(rangeToCompact(snapshot([md('xe4')]), PARAMS)).toBeUndefined(); // latest settled 2, 2 - 0 < 3
    expect(rangeToCompact(snapshot([md('xe5')]), PARAMS)).toEqual([0, 3]);
    expect(rangeToCompact(snapshot([md('xe9'), md('xr0_3_a-s1-c1')]), PARAMS)).toEqual([4, 7]);
  });

  it('builds a range set from compacted settled epochs and uncompacted others', () => {
    const s = snapshot([md('xe5'), md('xs0_a-s1-c1'), md('xn0_old'), md('xn1_x'), md('xs3_b-s2-c1'), md('xn3_y')]);
    expect(indexSetForEpochs(s, 0, 3).map((b) => b.id).sort()).toEqual(['xn1_x', 'xs0_a-s1-c1', 'xs3_b-s2-c1']);
  });

  it('judges cleanup by the newest recent xn timestamp and deletes markers below writeEpoch-1', () => {
    const s = snapshot([md('xe1'), md('xe2'), md('xe3'), md('xn0_a', 1), md('xn2_b', 50), md('xn3_c', 70), md('xn4_d', 60)]);
    expect(maxCleanupTime(s)?.getTime()).toBe(T0 + 70 * HOUR); // epochs 2..4 only
    expect(obsoleteEpochMarkers(s).map((b) => b.id)).toEqual(['xe1']);
  });
});

describe('EpochMaintenance on a repository', () => {
  it('advances, compacts, checkpoints and cleans up while every content stays readable', async () => {
    let now = T0;
    const clock = () => new Date(now);
    const store = new MemoryBlobStore(clock);
    const format = testRepositoryFormat({ epochParameters: PARAMS });
    const em = new EpochMaintenance({ store, params: PARAMS, hasher: format.hasher, encryptor: format.encryptor, indexVersion: 2, now: clock });
    const written = new Map<string, Buffer>();
    const cm = await ContentManager.open(store, format, { now: clock, indexRefreshMs: 0, autoFlushMs: 0 });
    let deleted = '';
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 3; i++) {
        const data = randomBytes(200 + i);
        written.set(await cm.writeContent(data, { prefix: '' }), data);
      }
      if (round === 5) {
        deleted = [...written.keys()][0]!;
        await cm.deleteContent(deleted);
      }
      await cm.flush();
      now += 3 * HOUR;
      await em.maybeAdvanceWriteEpoch();
      await em.maybeCompactSingleEpoch();
      await em.maybeGenerateRangeCheckpoint();
      await em.cleanupMarkers();
      await em.cleanupSupersededIndexes();
    }
    const s = await em.state();
    expect(s.writeEpoch).toBeGreaterThanOrEqual(5);
    expect(s.rangeCheckpoints.length).toBeGreaterThan(0);
    // compacted epochs lost their xn blobs once the margin passed; the newest settled one keeps them
    const lastRange = s.rangeCheckpoints.at(-1)!.maxEpoch;
    expect([...s.uncompacted.keys()].every((e) => e > lastRange)).toBe(true);
    expect(s.singleEpochCompactions.has(s.writeEpoch - 2)).toBe(true);
    expect(s.epochMarkerBlobs.map((b) => b.id).sort()).toEqual([`xe${s.writeEpoch - 1}`, `xe${s.writeEpoch}`]);

    const fresh = await ContentManager.open(store, format, { now: clock });
    for (const [id, data] of written) {
      if (id === deleted) {
        expect(fresh.contentInfo(id)?.deleted).toBe(true);
        continue;
      }
      expect(await fresh.getContent(id)).toEqual(data);
    }
    expect([...fresh.iterateContents()].length).toBe(written.size - 1);
  });

  it('moves the deletion watermark forward only', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const em = new EpochMaintenance({ store, params: PARAMS, hasher: format.hasher, encryptor: format.encryptor, indexVersion: 2 });
    expect(await em.advanceDeletionWatermark(1000)).toBe(true);
    expect(await em.advanceDeletionWatermark(999)).toBe(false);
    expect(await em.advanceDeletionWatermark(2000)).toBe(true);
    expect((await em.state()).deletionWatermarkSeconds).toBe(2000);
    expect((await store.get('xw2000')).toString()).toBe('deletion-watermark');
  });
});

describe('index compaction', () => {
  it('keeps the winning entry per content, tombstones included, as one complete set', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    let now = T0;
    const cm = await ContentManager.open(store, format, { now: () => new Date(now), autoFlushMs: 0 });
    const a = await cm.writeContent(Buffer.from('a'), { prefix: '' });
    const b = await cm.writeContent(Buffer.from('b'), { prefix: 'k' });
    await cm.flush();
    now += 10_000;
    await cm.deleteContent(a);
    await cm.flush();
    const inputs = (await listAll(store, 'xn')).map((m) => m.id);
    expect(inputs).toHaveLength(2);
    const out = await compactIndexBlobs({ store, hasher: format.hasher, encryptor: format.encryptor, indexVersion: 2 }, inputs, 'xs0_');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^xs0_[0-9a-f]{32}-s[0-9a-f]{16}-c1$/);
    const merged = await mergeIndexBlobs(store, format.encryptor, out);
    expect(merged.size).toBe(2);
    expect(merged.get(a)?.deleted).toBe(true);
    expect(merged.get(b)?.deleted).toBe(false);
  });

  it('shards big sets by content ID', async () => {
    const store = new MemoryBlobStore();
    const format = testRepositoryFormat();
    const cm = await ContentManager.open(store, format, { autoFlushMs: 0 });
    for (let i = 0; i < 50; i++) await cm.writeContent(randomBytes(10), { prefix: '' });
    await cm.flush();
    const inputs = (await listAll(store, 'xn')).map((m) => m.id);
    const out = await compactIndexBlobs({ store, hasher: format.hasher, encryptor: format.encryptor, indexVersion: 2, shardSize: 20 }, inputs, 'xr0_1_');
    expect(out.length).toBe(3);
    expect(new Set(out.map((id) => id.split('-')[1])).size).toBe(1);
    expect((await mergeIndexBlobs(store, format.encryptor, out)).size).toBe(50);
  });
});
