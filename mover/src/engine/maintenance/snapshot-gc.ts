// Snapshot garbage collection (kopia snapshot/snapshotgc/gc.go): contents no snapshot uses are marked
// deleted (an index tombstone; the bytes stay readable until the deletion watermark passes them), and
// used contents that a racing GC marked deleted are restored. Manifest contents ("m") are always kept,
// and so is every content younger than MinContentAgeSubjectToGC relative to the maintenance start (a
// backup still running may not have written the manifest that uses it). The walk happens before any
// change; a damaged snapshot aborts GC before anything is marked.
// The content list is taken BEFORE the manifests are loaded: a writer commits a snapshot's contents and
// its manifest in one index blob, so every content listed has its manifest among those loaded later,
// even if the index is reloaded in between. The list is a frozen copy of the index (as kopia freezes its
// index for the run) and the marks are one bit per entry of it (content-marks.ts), so memory stays near
// the index's own (≈ 60 bytes per content) instead of a ContentInfo and a Set entry per content.
import { listSnapshots } from '../snapshot/snapshot-manager.ts';
import type { DirectRepository } from '../repo/repository.ts';
import { ContentMarks } from './content-marks.ts';
import { findSnapshotContents, includingDeleted } from './snapshot-contents.ts';

const MANIFEST_PREFIX = 'm';
const MANIFEST_CHAR = MANIFEST_PREFIX.charCodeAt(0);
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
  await repo.contents.flush(); // nothing of this process may be pending outside the frozen list
  const candidates = repo.contents.frozenIndex();
  repo.manifests.reload();
  const manifests = await listSnapshots(repo.manifests);
  const reader = includingDeleted(repo.contents);
  const { used } = await findSnapshotContents(reader, manifests, new ContentMarks(candidates), {
    ...(options.parallel !== undefined ? { parallel: options.parallel } : {}), signal: options.signal,
  });
  const stats = emptyGcStats();
  const toDelete = new RefList();
  const toUndelete: string[] = [];
  const startMs = options.maintenanceStart.getTime();
  candidates.forEachListedRef((ref) => {
    const ci = candidates.infoAt(ref);
    const size = ci.packedLength;
    if (ci.contentId.charCodeAt(0) === MANIFEST_CHAR) {
      stats.inUseSystemContentCount++;
      stats.inUseSystemContentSize += size;
      return;
    }
    if (used.hasRef(ref)) {
      if (ci.deleted) {
        toUndelete.push(ci.contentId);
        stats.recoveredContentCount++;
        stats.recoveredContentSize += size;
      }
      stats.inUseContentCount++;
      stats.inUseContentSize += size;
      return;
    }
    if (startMs - ci.timestampSeconds * 1000 < options.minContentAgeMs) {
      stats.unreferencedRecentContentCount++;
      stats.unreferencedRecentContentSize += size;
      return;
    }
    stats.unreferencedContentCount++;
    stats.unreferencedContentSize += size;
    if (!ci.deleted) toDelete.push(ref);
  });
  if (!options.delete || (toDelete.length === 0 && toUndelete.length === 0)) return stats;
  await options.beforeChanges?.();
  for (const id of toUndelete) await repo.contents.rewriteContent(id, { onlyDeleted: true });
  let n = 0;
  for (let i = 0; i < toDelete.length; i++) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    const id = candidates.infoAt(toDelete.at(i)).contentId;
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

/** A growing list of uint32 index references (4 bytes each instead of an ID string per content). */
class RefList {
  private refs = new Uint32Array(1024);
  length = 0;

  push(ref: number): void {
    if (this.length === this.refs.length) {
      const grown = new Uint32Array(this.refs.length * 2);
      grown.set(this.refs);
      this.refs = grown;
    }
    this.refs[this.length++] = ref;
  }

  at(i: number): number {
    return this.refs[i]!;
  }
}
