// Maintenance of epoch-managed index blobs, following kopia internal/epoch (epoch_manager.go,
// epoch_advance.go, epoch_utils.go) and kopia-format.md §6.4/§6.5:
// - advance: write `xe<E+1>` ("epoch-marker") when the current epoch's `xn` blobs span at least
//   MinEpochDuration (first to last storage timestamp) and number ≥ EpochAdvanceOnCountThreshold or total
//   ≥ EpochAdvanceOnTotalSizeBytesThreshold;
// - single-epoch compaction: the oldest epoch without a compacted set, only once settled (≤ writeEpoch−2),
//   merged into `xs<E>_…-s<set>-c<N>`;
// - range checkpoint: when latestSettled − firstNonRangeCompacted ≥ FullCheckpointFrequency, the complete
//   index set of those epochs merged into `xr<A>_<B>_…`;
// - cleanup: epoch markers below writeEpoch−1; superseded watermarks and `xn` blobs of compacted epochs
//   only once their replacement is older than (newest recent `xn` timestamp − CleanupSafetyMargin);
// - deletion watermark: `xw<unix seconds>` ("deletion-watermark"), never moved backwards.
// Every age here is a storage timestamp from a listing; the local clock only bounds how long a listing
// may be acted upon (EpochRefreshFrequency, as kopia's committed state).
import type { BlobMetadata, BlobStore } from '../blob/blob-store.ts';
import { listAll } from '../blob/blob-store.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import { CairnError } from '../errors.ts';
import type { EpochParameters } from '../format/repository-config.ts';
import {
  DELETION_WATERMARK_PREFIX, EPOCH_MARKER_PREFIX, RANGE_CHECKPOINT_PREFIX, SINGLE_EPOCH_COMPACTION_PREFIX,
  UNCOMPACTED_INDEX_PREFIX, uncompactedEpochBlobPrefix,
} from './epoch-manager.ts';
import {
  UNSETTLED_EPOCHS, deletionWatermarkFromBlobId, epochNumberFromBlobId, epochSnapshotFromListings, isSettledEpoch,
  type EpochSnapshot,
} from './epoch-sets.ts';
import { compactIndexBlobs } from './index-compaction.ts';
import { indexSetForEpochs } from './epoch-sets.ts';
import { forEachBounded } from '../util/for-each-bounded.ts';

export const EPOCH_MARKER_BODY = 'epoch-marker';
export const DELETION_WATERMARK_BODY = 'deletion-watermark';

export interface AdvanceEpochStats { readonly currentEpoch: number; readonly wasAdvanced: boolean }
export interface CompactSingleEpochStats { readonly supersededIndexBlobCount: number; readonly supersededIndexTotalSize: number; readonly epoch: number }
export interface GenerateRangeCheckpointStats { readonly rangeMinEpoch: number; readonly rangeMaxEpoch: number }
export interface CleanupMarkersStats { readonly deletedEpochMarkerBlobCount: number; readonly deletedWatermarkBlobCount: number }
export interface CleanupSupersededIndexesStats { readonly maxReplacementTime: Date; readonly deletedBlobCount: number; readonly deletedTotalSize: number }

export interface EpochMaintenanceOptions {
  readonly store: BlobStore;
  readonly params: EpochParameters;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  /** 1 or 2. */
  readonly indexVersion: number;
  /** Local clock; only bounds how long a listing stays usable. */
  readonly now?: () => Date;
  /** Called after every blob this class deletes (crash tests interrupt here). */
  readonly onDeleted?: (blobId: string) => void | Promise<void>;
  /** Called after every blob this class writes. */
  readonly onWritten?: (blobId: string) => void | Promise<void>;
}

/** kopia shouldAdvance. */
export function shouldAdvanceEpoch(blobs: readonly BlobMetadata[], params: EpochParameters): boolean {
  if (blobs.length === 0) return false;
  let min = blobs[0]!.timestamp.getTime();
  let max = min;
  let total = 0;
  for (const b of blobs) {
    const t = b.timestamp.getTime();
    if (t < min) min = t;
    if (t > max) max = t;
    total += b.length;
  }
  if (max - min < params.minEpochDurationMs) return false;
  return blobs.length >= params.epochAdvanceOnCountThreshold || total >= params.epochAdvanceOnTotalSizeBytesThreshold;
}

/** [lo, hi] covered by the range checkpoint chain, or undefined. */
function rangeCompacted(s: EpochSnapshot): [number, number] | undefined {
  const r = s.rangeCheckpoints;
  return r.length === 0 ? undefined : [r[0]!.minEpoch, r[r.length - 1]!.maxEpoch];
}

/** kopia oldestUncompactedEpoch + getOldestUncompactedAfterEpoch. */
export function oldestUncompactedEpoch(s: EpochSnapshot): number {
  const range = rangeCompacted(s);
  let candidate = 0;
  if (range !== undefined) {
    if (range[0] !== 0) {
      throw new CairnError('CORRUPT', `the range checkpoints start at epoch ${range[0]}, not 0`, {
        hint: 'an xr index blob chain is damaged; run `kopia index inspect` or restore the missing xr blobs',
      });
    }
    candidate = range[1] + 1;
  }
  const compacted = [...s.singleEpochCompactions.keys()].filter((e) => e >= candidate).sort((a, b) => a - b);
  if (compacted.length === 0 || candidate < compacted[0]!) return candidate;
  let prev = compacted[0]!;
  for (const e of compacted.slice(1)) {
    if (e !== prev + 1) break;
    prev = e;
  }
  return prev + 1;
}

/** kopia getRangeToCompact: [firstNonRangeCompacted, latestSettled] when a range checkpoint is due. */
export function rangeToCompact(s: EpochSnapshot, params: EpochParameters): [number, number] | undefined {
  const latestSettled = s.writeEpoch - UNSETTLED_EPOCHS;
  if (latestSettled < 0) return undefined;
  const r = s.rangeCheckpoints;
  const first = r.length === 0 ? 0 : r[r.length - 1]!.maxEpoch + 1;
  if (latestSettled - first < params.fullCheckpointFrequency) return undefined;
  return [first, latestSettled];
}


/**
 * kopia maxCleanupTime: the newest storage timestamp among the uncompacted blobs of epochs
 * writeEpoch−1..writeEpoch+1 (the storage clock cleanup is judged by); undefined when there are none.
 */
export function maxCleanupTime(s: EpochSnapshot): Date | undefined {
  let max = 0;
  for (let e = s.writeEpoch - 1; e <= s.writeEpoch + 1; e++) {
    for (const b of s.uncompacted.get(e) ?? []) max = Math.max(max, b.timestamp.getTime());
  }
  return max === 0 ? undefined : new Date(max);
}

function maxTimestamp(blobs: readonly BlobMetadata[]): number {
  let max = 0;
  for (const b of blobs) max = Math.max(max, b.timestamp.getTime());
  return max;
}

/** `xn` blobs whose epoch has a compacted set written before `maxReplacementTime` (kopia CleanupSupersededIndexes). */
export function supersededUncompactedBlobs(s: EpochSnapshot, uncompacted: readonly BlobMetadata[], maxReplacementTime: Date): BlobMetadata[] {
  return uncompacted.filter((b) => {
    const epoch = epochNumberFromBlobId(b.id);
    if (epoch === undefined) return false;
    const replacement = s.singleEpochCompactions.get(epoch);
    if (replacement === undefined) return false;
    const t = maxTimestamp(replacement);
    return t !== 0 && t < maxReplacementTime.getTime();
  });
}

/** Epoch markers below writeEpoch−1 (kopia cleanupEpochMarkers). */
export function obsoleteEpochMarkers(s: EpochSnapshot): BlobMetadata[] {
  return s.epochMarkerBlobs.filter((b) => {
    const n = epochNumberFromBlobId(b.id);
    return n !== undefined && n < s.writeEpoch - 1;
  });
}

/** Watermarks other than the current one written before `maxReplacementTime` (kopia cleanupWatermarks). */
export function obsoleteWatermarks(s: EpochSnapshot, maxReplacementTime: Date): BlobMetadata[] {
  return s.watermarkBlobs.filter((b) => {
    const t = deletionWatermarkFromBlobId(b.id);
    return t !== undefined && t !== s.deletionWatermarkSeconds && b.timestamp.getTime() < maxReplacementTime.getTime();
  });
}

export class EpochMaintenance {
  private readonly options: EpochMaintenanceOptions;
  private readonly now: () => Date;

  constructor(options: EpochMaintenanceOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  /** Lists the epoch blobs now (all five prefixes). */
  async state(): Promise<EpochSnapshot> {
    const store = this.options.store;
    const validUntilMs = this.now().getTime() + this.options.params.epochRefreshFrequencyMs;
    const [epochMarkers, watermarks, singleEpochCompactions, rangeCheckpoints, uncompacted] = await Promise.all([
      listAll(store, EPOCH_MARKER_PREFIX), listAll(store, DELETION_WATERMARK_PREFIX), listAll(store, SINGLE_EPOCH_COMPACTION_PREFIX),
      listAll(store, RANGE_CHECKPOINT_PREFIX), listAll(store, UNCOMPACTED_INDEX_PREFIX),
    ]);
    return epochSnapshotFromListings({ epochMarkers, watermarks, singleEpochCompactions, rangeCheckpoints, uncompacted }, validUntilMs);
  }

  /** kopia MaybeAdvanceWriteEpoch. */
  async maybeAdvanceWriteEpoch(): Promise<AdvanceEpochStats> {
    const s = await this.state();
    if (!shouldAdvanceEpoch(s.uncompacted.get(s.writeEpoch) ?? [], this.options.params)) {
      return { currentEpoch: s.writeEpoch, wasAdvanced: false };
    }
    await this.put(`${EPOCH_MARKER_PREFIX}${s.writeEpoch + 1}`, EPOCH_MARKER_BODY);
    return { currentEpoch: s.writeEpoch + 1, wasAdvanced: true };
  }

  /** kopia MaybeCompactSingleEpoch; undefined when no epoch is eligible. */
  async maybeCompactSingleEpoch(): Promise<CompactSingleEpochStats | undefined> {
    const s = await this.state();
    const epoch = oldestUncompactedEpoch(s);
    if (!isSettledEpoch(s, epoch) || s.singleEpochCompactions.has(epoch)) return undefined;
    const range = rangeCompacted(s);
    if (range !== undefined && epoch <= range[1]) return undefined;
    const blobs = s.uncompacted.get(epoch) ?? (await listAll(this.options.store, uncompactedEpochBlobPrefix(epoch)));
    if (blobs.length === 0) return undefined;
    await this.compact(blobs.map((b) => b.id), `${SINGLE_EPOCH_COMPACTION_PREFIX}${epoch}_`);
    return { supersededIndexBlobCount: blobs.length, supersededIndexTotalSize: blobs.reduce((n, b) => n + b.length, 0), epoch };
  }

  /** kopia MaybeGenerateRangeCheckpoint; undefined when no range is due. */
  async maybeGenerateRangeCheckpoint(): Promise<GenerateRangeCheckpointStats | undefined> {
    const s = await this.state();
    const range = rangeToCompact(s, this.options.params);
    if (range === undefined) return undefined;
    const set = indexSetForEpochs(s, range[0], range[1]);
    if (this.now().getTime() > s.validUntilMs) {
      throw new CairnError('UNREACHABLE', 'listing the index blobs took longer than the epoch refresh period; not writing a range checkpoint', {
        retryable: true, hint: 'rerun maintenance; storage was too slow for the epoch protocol',
      });
    }
    await this.compact(set.map((b) => b.id), `${RANGE_CHECKPOINT_PREFIX}${range[0]}_${range[1]}_`);
    return { rangeMinEpoch: range[0], rangeMaxEpoch: range[1] };
  }

  /** kopia CleanupMarkers: old epoch markers and superseded watermarks. */
  async cleanupMarkers(): Promise<CleanupMarkersStats | undefined> {
    const s = await this.state();
    const maxTime = maxCleanupTime(s);
    if (maxTime === undefined) return undefined;
    const maxReplacementTime = new Date(maxTime.getTime() - this.options.params.cleanupSafetyMarginMs);
    const markers = obsoleteEpochMarkers(s);
    const watermarks = obsoleteWatermarks(s, maxReplacementTime);
    await this.deleteAll([...markers, ...watermarks].map((b) => b.id));
    return { deletedEpochMarkerBlobCount: markers.length, deletedWatermarkBlobCount: watermarks.length };
  }

  /** kopia CleanupSupersededIndexes: `xn` blobs of epochs compacted long enough ago. */
  async cleanupSupersededIndexes(): Promise<CleanupSupersededIndexesStats | undefined> {
    const s = await this.state();
    const maxTime = maxCleanupTime(s);
    if (maxTime === undefined) return undefined;
    const maxReplacementTime = new Date(maxTime.getTime() - this.options.params.cleanupSafetyMarginMs);
    const all = await listAll(this.options.store, UNCOMPACTED_INDEX_PREFIX);
    const doomed = supersededUncompactedBlobs(s, all, maxReplacementTime);
    await this.deleteAll(doomed.map((b) => b.id));
    return { maxReplacementTime, deletedBlobCount: doomed.length, deletedTotalSize: doomed.reduce((n, b) => n + b.length, 0) };
  }

  /**
   * kopia AdvanceDeletionWatermark: deleted index entries at or before `unixSeconds` become non-existent.
   * Returns false (and writes nothing) when the current watermark is later.
   */
  async advanceDeletionWatermark(unixSeconds: number): Promise<boolean> {
    const s = await this.state();
    if (unixSeconds < s.deletionWatermarkSeconds) return false;
    await this.put(`${DELETION_WATERMARK_PREFIX}${Math.floor(unixSeconds)}`, DELETION_WATERMARK_BODY);
    return true;
  }

  private async compact(blobIds: readonly string[], outputPrefix: string): Promise<void> {
    const o = this.options;
    await compactIndexBlobs({
      store: o.store, hasher: o.hasher, encryptor: o.encryptor, indexVersion: o.indexVersion,
      ...(o.onWritten !== undefined ? { onBlobWritten: o.onWritten } : {}),
    }, blobIds, outputPrefix);
  }

  private async put(blobId: string, body: string): Promise<void> {
    await this.options.store.put(blobId, Buffer.from(body, 'utf8'));
    await this.options.onWritten?.(blobId);
  }

  private async deleteAll(ids: readonly string[]): Promise<void> {
    await forEachBounded(ids, this.options.params.deleteParallelism, async (id) => {
      await this.options.store.delete(id);
      await this.options.onDeleted?.(id);
    });
  }
}
