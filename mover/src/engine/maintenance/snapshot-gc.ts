// Snapshot garbage collection (kopia snapshot/snapshotgc/gc.go): contents no snapshot uses are marked
// deleted (an index tombstone; the bytes stay readable until the deletion watermark passes them), and
// used contents that a racing GC marked deleted are restored. Manifest contents ("m") are always kept,
// and so is every content younger than MinContentAgeSubjectToGC relative to the maintenance start (a
// backup still running may not have written the manifest that uses it). The walk happens before any
// change; a damaged snapshot aborts GC before anything is marked.
// The content list is taken BEFORE the manifests are loaded: a writer commits a snapshot's contents and
// its manifest in one index blob, so every content listed has its manifest among those loaded later,
// even if the index is reloaded in between (kopia instead freezes the index for the whole run).
import { listSnapshots } from '../snapshot/snapshot-manager.ts';
import type { DirectRepository } from '../repo/repository.ts';
import { findSnapshotContents, includingDeleted } from './snapshot-contents.ts';

const MANIFEST_PREFIX = 'm';
const FLUSH_EVERY = 100_000;

/** kopia maintenancestats.SnapshotGCStats (JSON names as kopia's). */
export interface SnapshotGcStats {
  unreferencedContentCount: number;
  unreferencedContentSize: number;
  deletedContentCount: number;
  deletedContentSize: number;
  unreferencedRecentContentCount: number;
  unreferencedRecentContentSize: number;
  inUseContentCount: number;
  inUseContentSize: number;
  inUseSystemContentCount: number;
  inUseSystemContentSize: number;
  recoveredContentCount: number;
  recoveredContentSize: number;
}

export interface SnapshotGcOptions {
  /** Storage time the run started at; content ages are measured from it. */
  readonly maintenanceStart: Date;
  readonly minContentAgeMs: number;
  /** false: count only, change nothing (kopia gcDelete=false). */
  readonly delete: boolean;
  /** Awaited once before the first change (the run budget check). */
  readonly beforeChanges?: () => Promise<void>;
  readonly parallel?: number;
  readonly signal?: AbortSignal | undefined;
}

export function emptyGcStats(): SnapshotGcStats {
  return {
    unreferencedContentCount: 0, unreferencedContentSize: 0, deletedContentCount: 0, deletedContentSize: 0,
    unreferencedRecentContentCount: 0, unreferencedRecentContentSize: 0, inUseContentCount: 0, inUseContentSize: 0,
    inUseSystemContentCount: 0, inUseSystemContentSize: 0, recoveredContentCount: 0, recoveredContentSize: 0,
  };
}

export async function runSnapshotGc(repo: DirectRepository, options: SnapshotGcOptions): Promise<SnapshotGcStats> {
  const candidates = [...repo.contents.iterateContents({ includeDeleted: true })];
  repo.manifests.reload();
  const manifests = await listSnapshots(repo.manifests);
  const reader = includingDeleted(repo.contents);
  const { used } = await findSnapshotContents(reader, manifests, {
    ...(options.parallel !== undefined ? { parallel: options.parallel } : {}), signal: options.signal,
  });
  const stats = emptyGcStats();
  const toDelete: string[] = [];
  const toUndelete: string[] = [];
  const startMs = options.maintenanceStart.getTime();
  for (const ci of candidates) {
    const size = ci.packedLength;
    if (ci.contentId.startsWith(MANIFEST_PREFIX)) {
      stats.inUseSystemContentCount++;
      stats.inUseSystemContentSize += size;
      continue;
    }
    if (used.has(ci.contentId)) {
      if (ci.deleted) {
        toUndelete.push(ci.contentId);
        stats.recoveredContentCount++;
        stats.recoveredContentSize += size;
      }
      stats.inUseContentCount++;
      stats.inUseContentSize += size;
      continue;
    }
    if (startMs - ci.timestampSeconds * 1000 < options.minContentAgeMs) {
      stats.unreferencedRecentContentCount++;
      stats.unreferencedRecentContentSize += size;
      continue;
    }
    stats.unreferencedContentCount++;
    stats.unreferencedContentSize += size;
    if (!ci.deleted) toDelete.push(ci.contentId);
  }
  if (!options.delete || (toDelete.length === 0 && toUndelete.length === 0)) return stats;
  await options.beforeChanges?.();
  for (const id of toUndelete) await repo.contents.rewriteContent(id, { onlyDeleted: true });
  let n = 0;
  for (const id of toDelete) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    const info = repo.contents.contentInfo(id);
    if (info === undefined || info.deleted) continue;
    await repo.contents.deleteContent(id);
    stats.deletedContentCount++;
    stats.deletedContentSize += info.packedLength;
    if (++n % FLUSH_EVERY === 0) await repo.contents.flush();
  }
  await repo.contents.flush();
  return stats;
}
