// Pure rules of kopia's epoch index manager for choosing the active index blobs (internal/epoch
// epoch_manager.go refreshAttemptLocked / getCompleteIndexSetForCommittedState, epoch_utils.go,
// epoch_range.go; internal/completeset/complete_set.go). Blob names:
//   xe<E>                         epoch marker; write epoch = max E
//   xw<unixSeconds>               deletion watermark; the max wins
//   xn<E>_<hash>-<session>-c<N>   uncompacted index blobs of epoch E
//   xs<E>_<hash>-s<set>-c<N>      single-epoch compaction set of E (used only once E is settled)
//   xr<A>_<B>_<hash>-s<set>-c<N>  range checkpoint covering epochs A..B
import type { BlobMetadata } from '../blob/blob-store.ts';

/** Epochs at or below writeEpoch − 2 are settled: no writer may still add to them. */
export const UNSETTLED_EPOCHS = 2;

export interface RangeCheckpoint {
  readonly minEpoch: number;
  readonly maxEpoch: number;
  readonly blobs: readonly BlobMetadata[];
}

export interface EpochListings {
  readonly epochMarkers: readonly BlobMetadata[];
  readonly watermarks: readonly BlobMetadata[];
  readonly singleEpochCompactions: readonly BlobMetadata[];
  readonly rangeCheckpoints: readonly BlobMetadata[];
  readonly uncompacted: readonly BlobMetadata[];
}

export interface EpochSnapshot {
  readonly writeEpoch: number;
  /** Unix seconds; deleted entries at or before it are treated as non-existent (0 = none). */
  readonly deletionWatermarkSeconds: number;
  readonly epochStartTimes: ReadonlyMap<number, Date>;
  /** The chain of complete range checkpoints from epoch 0 reaching furthest with the fewest ranges. */
  readonly rangeCheckpoints: readonly RangeCheckpoint[];
  /** Complete single-epoch compaction sets by epoch. */
  readonly singleEpochCompactions: ReadonlyMap<number, readonly BlobMetadata[]>;
  /** All uncompacted index blobs by epoch. */
  readonly uncompacted: ReadonlyMap<number, readonly BlobMetadata[]>;
  readonly epochMarkerBlobs: readonly BlobMetadata[];
  readonly watermarkBlobs: readonly BlobMetadata[];
  /** Time (ms since 1970) after which the snapshot must be refreshed. */
  readonly validUntilMs: number;
}

const DIGITS = /^\d+$/;

/** Epoch number of `<letters><E>_…` or `<letters><E>` (kopia epochNumberFromBlobID). */
export function epochNumberFromBlobId(blobId: string): number | undefined {
  const us = blobId.indexOf('_');
  let s = us >= 0 ? blobId.slice(0, us) : blobId;
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) < 0x30 || s.charCodeAt(i) > 0x39)) i++;
  s = s.slice(i);
  return parseGoInt(s);
}

/** The epochs [A, B] of `xr<A>_<B>_…` (kopia epochRangeFromBlobID). */
export function epochRangeFromBlobId(blobId: string): [number, number] | undefined {
  const parts = blobId.split('_');
  if (parts.length < 3) return undefined;
  let first = parts[0]!;
  let i = 0;
  while (i < first.length && (first.charCodeAt(i) < 0x30 || first.charCodeAt(i) > 0x39)) i++;
  first = first.slice(i);
  const a = parseGoInt(first);
  const b = parseGoInt(parts[1]!);
  return a === undefined || b === undefined ? undefined : [a, b];
}

/** Unix seconds of `xw<seconds>` (kopia deletionWatermarkFromBlobID). */
export function deletionWatermarkFromBlobId(blobId: string): number | undefined {
  return parseGoInt(blobId.startsWith('xw') ? blobId.slice(2) : blobId);
}

/** strconv.Atoi for the decimal forms kopia writes (optional sign, digits). */
function parseGoInt(s: string): number | undefined {
  const neg = s.startsWith('-');
  const body = neg || s.startsWith('+') ? s.slice(1) : s;
  if (!DIGITS.test(body)) return undefined;
  const n = Number(body);
  return Number.isSafeInteger(n) ? (neg ? -n : n) : undefined;
}

/**
 * Complete sets among blobs named `<any>-s<set>-c<count>` in listing order (kopia completeset.FindAll):
 * a set is complete once `count` blobs share `s<set>`; malformed names are one-blob sets.
 */
export function findAllCompleteSets(blobs: readonly BlobMetadata[]): BlobMetadata[][] {
  const sets = new Map<string, BlobMetadata[]>();
  const complete: BlobMetadata[][] = [];
  for (const b of blobs) {
    const parts = b.id.split('-');
    if (parts.length < 3 || !parts[1]!.startsWith('s') || !parts[2]!.startsWith('c')) {
      complete.push([b]);
      continue;
    }
    const count = parseGoInt(parts[2]!.slice(1));
    if (count === undefined) {
      complete.push([b]);
      continue;
    }
    const setId = parts[1]!;
    const members = sets.get(setId) ?? [];
    members.push(b);
    sets.set(setId, members);
    if (members.length === count) complete.push(members);
  }
  return complete;
}

export function findFirstCompleteSet(blobs: readonly BlobMetadata[]): BlobMetadata[] | undefined {
  return findAllCompleteSets(blobs)[0];
}

function groupBy<K>(blobs: readonly BlobMetadata[], key: (id: string) => K | undefined, keyString: (k: K) => string): Map<string, { key: K; blobs: BlobMetadata[] }> {
  const out = new Map<string, { key: K; blobs: BlobMetadata[] }>();
  for (const b of blobs) {
    const k = key(b.id);
    if (k === undefined) continue;
    const ks = keyString(k);
    const g = out.get(ks) ?? { key: k, blobs: [] };
    g.blobs.push(b);
    out.set(ks, g);
  }
  return out;
}

function groupByEpoch(blobs: readonly BlobMetadata[]): Map<number, BlobMetadata[]> {
  const out = new Map<number, BlobMetadata[]>();
  for (const g of groupBy(blobs, epochNumberFromBlobId, String).values()) out.set(g.key, g.blobs);
  return out;
}

/** kopia findLongestRangeCheckpoint: the chain from epoch 0 reaching the highest epoch, fewest ranges on ties. */
export function findLongestRangeCheckpoint(ranges: readonly RangeCheckpoint[]): RangeCheckpoint[] {
  const byMin = new Map<number, RangeCheckpoint[]>();
  for (const r of ranges) {
    const l = byMin.get(r.minEpoch) ?? [];
    l.push(r);
    byMin.set(r.minEpoch, l);
  }
  const memo = new Map<number, RangeCheckpoint[]>();
  const startingAt = (start: number): RangeCheckpoint[] => {
    const known = memo.get(start);
    if (known !== undefined) return known;
    let longest = 0;
    let best: RangeCheckpoint[] = [];
    for (const cp of byMin.get(start) ?? []) {
      if (cp.maxEpoch < cp.minEpoch) continue; // would not advance; kopia would recurse forever on such a name
      const combined = [cp, ...startingAt(cp.maxEpoch + 1)];
      const m = combined[combined.length - 1]!.maxEpoch;
      if (m > longest || (m === longest && combined.length < best.length)) {
        longest = m;
        best = combined;
      }
    }
    memo.set(start, best);
    return best;
  };
  return startingAt(0);
}

/** Builds the committed epoch state from the five listings (kopia refreshAttemptLocked). */
export function epochSnapshotFromListings(l: EpochListings, validUntilMs: number): EpochSnapshot {
  let writeEpoch = 0;
  const epochStartTimes = new Map<number, Date>();
  for (const [epoch, blobs] of groupByEpoch(l.epochMarkers)) {
    epochStartTimes.set(epoch, blobs[0]!.timestamp);
    if (epoch > writeEpoch) writeEpoch = epoch;
  }
  let watermark = 0;
  for (const b of l.watermarks) {
    const t = deletionWatermarkFromBlobId(b.id);
    if (t !== undefined && t > watermark) watermark = t;
  }
  const singleEpochCompactions = new Map<number, readonly BlobMetadata[]>();
  for (const [epoch, blobs] of groupByEpoch(l.singleEpochCompactions)) {
    const set = findFirstCompleteSet(blobs);
    if (set !== undefined) singleEpochCompactions.set(epoch, set);
  }
  const ranges: RangeCheckpoint[] = [];
  for (const g of groupBy(l.rangeCheckpoints, epochRangeFromBlobId, (k) => `${k[0]}_${k[1]}`).values()) {
    const set = findFirstCompleteSet(g.blobs);
    if (set !== undefined) ranges.push({ minEpoch: g.key[0], maxEpoch: g.key[1], blobs: set });
  }
  return {
    writeEpoch,
    deletionWatermarkSeconds: watermark,
    epochStartTimes,
    rangeCheckpoints: findLongestRangeCheckpoint(ranges),
    singleEpochCompactions,
    uncompacted: groupByEpoch(l.uncompacted),
    epochMarkerBlobs: l.epochMarkers,
    watermarkBlobs: l.watermarks,
    validUntilMs,
  };
}

export function isSettledEpoch(s: EpochSnapshot, epoch: number): boolean {
  return epoch <= s.writeEpoch - UNSETTLED_EPOCHS;
}

/**
 * The active index blobs up to `maxEpoch` (default writeEpoch + 1), per kopia
 * getCompleteIndexSetForCommittedState: the range checkpoint chain, then for every later epoch its
 * complete single-epoch compaction set when the epoch is settled, else all of its uncompacted blobs.
 */
export function completeIndexSet(s: EpochSnapshot, maxEpoch = s.writeEpoch + 1): BlobMetadata[] {
  return indexSetForEpochs(s, 0, maxEpoch);
}

/** kopia getCompleteIndexSetForCommittedState(cs, minEpoch, maxEpoch): the same, from `minEpoch`. */
export function indexSetForEpochs(s: EpochSnapshot, minEpoch: number, maxEpoch: number): BlobMetadata[] {
  const out: BlobMetadata[] = [];
  let start = minEpoch;
  for (const c of s.rangeCheckpoints) {
    if (c.maxEpoch > start) {
      out.push(...c.blobs);
      start = c.maxEpoch + 1;
    }
  }
  for (let e = start; e <= maxEpoch; e++) {
    const compacted = s.singleEpochCompactions.get(e);
    if (isSettledEpoch(s, e) && compacted !== undefined) out.push(...compacted);
    else out.push(...(s.uncompacted.get(e) ?? []));
  }
  return out;
}
