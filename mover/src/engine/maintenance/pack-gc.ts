// Deleting blobs no index entry refers to (kopia repo/maintenance/pack_gc.go and content manager
// IterateUnreferencedPacks): `p` and `q` packs without index entries (deleted entries above the watermark
// still count as references) and `s` session markers. A blob is kept when, judged by storage timestamps
// against the cutoff (maintenance start + 1 s), it is newer than the cutoff, younger than
// PackDeleteMinAge, or belongs to a session whose marker checkpoint is younger than SessionExpirationAge
// — the packs of a backup still running are unindexed but protected that way.
// Cairn adds two rules (index-plausibility.ts): nothing is deleted while a pack is unexplained (the index
// lost entries), and session markers go last, after the packs of their session, and never while a pack
// of their session is kept — so an interrupted run cannot leave packs that look like a lost index.
import type { BlobMetadata } from '../blob/blob-store.ts';
import { listActiveSessions, sessionIdFromBlobId, type SessionInfo } from '../content/session-marker.ts';
import { findUnexplainedPacks, ImplausibleIndexError } from './index-plausibility.ts';
import type { DirectRepository } from '../repo/repository.ts';
import { forEachBounded } from '../util/for-each-bounded.ts';

export const FULL_PACK_GC_PREFIXES = ['p', 'q', 's'] as const;
const CUTOFF_SLACK_MS = 1000;

/** kopia maintenancestats.DeleteUnreferencedPacksStats. */
export interface DeleteUnreferencedPacksStats {
  unreferencedPackCount: number;
  unreferencedTotalSize: number;
  deletedPackCount: number;
  deletedTotalSize: number;
  retainedPackCount: number;
  retainedTotalSize: number;
}

export interface PackGcOptions {
  readonly prefixes: readonly string[];
  /** Storage time of the maintenance start. */
  readonly maintenanceStart: Date;
  readonly packDeleteMinAgeMs: number;
  readonly sessionExpirationAgeMs: number;
  readonly dryRun?: boolean;
  /** Awaited once before the first deletion (the run budget check). */
  readonly beforeDelete?: () => Promise<void>;
  /** Called after each deleted blob. */
  readonly onDeleted?: (blobId: string) => void | Promise<void>;
  readonly parallel?: number;
  readonly signal?: AbortSignal | undefined;
}

export type PackVerdict = 'delete' | 'after-cutoff' | 'too-young' | 'live-session';

/** Why an unreferenced blob is kept, or 'delete' (kopia DeleteUnreferencedPacks callback). */
export function judgeUnreferencedBlob(bm: BlobMetadata, cutoffMs: number, sessions: ReadonlyMap<string, SessionInfo>,
  packDeleteMinAgeMs: number, sessionExpirationAgeMs: number): PackVerdict {
  const t = bm.timestamp.getTime();
  if (t > cutoffMs) return 'after-cutoff';
  if (cutoffMs - t < packDeleteMinAgeMs) return 'too-young';
  if (ofLiveSession(bm.id, cutoffMs, sessions, sessionExpirationAgeMs)) return 'live-session';
  return 'delete';
}

/** Whether blob `blobId` belongs to a session whose marker was checkpointed less than SessionExpirationAge before the cutoff. */
export function ofLiveSession(blobId: string, cutoffMs: number, sessions: ReadonlyMap<string, SessionInfo>, sessionExpirationAgeMs: number): boolean {
  const s = sessions.get(sessionIdFromBlobId(blobId));
  return s !== undefined && cutoffMs - s.checkpointTime.getTime() < sessionExpirationAgeMs;
}

/** Packs referenced by the index (deleted entries above the watermark included). */
export function referencedPacks(repo: Pick<DirectRepository, 'contents'>): Set<string> {
  const used = new Set<string>();
  for (const ci of repo.contents.iterateContents({ includeDeleted: true })) used.add(ci.packBlobId);
  return used;
}

/**
 * Lists unreferenced blobs under the prefixes and deletes those no rule keeps. Order matters for writers
 * running now: blobs are listed first, then session markers, then the index is reloaded. A writer's pack
 * listed here is either indexed by the time of the reload (referenced) or its session was still open when
 * the markers were listed (a writer deletes its marker only after writing its index).
 */
export async function deleteUnreferencedPacks(repo: DirectRepository, options: PackGcOptions): Promise<DeleteUnreferencedPacksStats> {
  const listed: BlobMetadata[] = [];
  for (const prefix of options.prefixes) for await (const bm of repo.blobs.list(prefix)) listed.push(bm);
  const sessions = await listActiveSessions(repo.blobs, repo.encryptor);
  await repo.contents.refresh();
  const used = referencedPacks(repo);
  const cutoffMs = options.maintenanceStart.getTime() + CUTOFF_SLACK_MS;
  const stats: DeleteUnreferencedPacksStats = {
    unreferencedPackCount: 0, unreferencedTotalSize: 0, deletedPackCount: 0, deletedTotalSize: 0, retainedPackCount: 0, retainedTotalSize: 0,
  };
  const doomed: BlobMetadata[] = [];
  const keptSessions = new Set<string>();
  for (const bm of listed) {
    if (used.has(bm.id)) continue;
    if (judgeUnreferencedBlob(bm, cutoffMs, sessions, options.packDeleteMinAgeMs, options.sessionExpirationAgeMs) !== 'delete') {
      stats.retainedPackCount++;
      stats.retainedTotalSize += bm.length;
      if (!bm.id.startsWith('s')) keptSessions.add(sessionIdFromBlobId(bm.id));
      continue;
    }
    stats.unreferencedPackCount++;
    stats.unreferencedTotalSize += bm.length;
    doomed.push(bm);
  }
  const unreferencedPacks = listed.filter((bm) => /^[pq]/.test(bm.id) && !used.has(bm.id));
  const unexplained = await findUnexplainedPacks(contentsView(repo), unreferencedPacks, sessions, { signal: options.signal });
  if (unexplained.length > 0) throw new ImplausibleIndexError(unexplained);
  if (options.dryRun === true || doomed.length === 0) return stats;
  await options.beforeDelete?.();
  const packs = doomed.filter((bm) => !bm.id.startsWith('s'));
  const markers = doomed.filter((bm) => bm.id.startsWith('s') && !keptSessions.has(sessionIdFromBlobId(bm.id)));
  for (const batch of [packs, markers]) {
    await forEachBounded(batch, options.parallel ?? 16, async (bm) => {
      await repo.blobs.delete(bm.id);
      stats.deletedPackCount++;
      stats.deletedTotalSize += bm.length;
      await options.onDeleted?.(bm.id);
    }, options.signal);
  }
  return stats;
}

function contentsView(repo: DirectRepository): Parameters<typeof findUnexplainedPacks>[0] {
  return { blobs: repo.blobs, encryptor: repo.encryptor, indexedEntry: (id) => repo.contents.indexedEntry(id) };
}

/**
 * Refuses (ImplausibleIndexError) when a p/q pack no index entry refers to is explained by nothing. Lists
 * packs, then session markers, then reloads the index (pack GC's order), so a backup committing meanwhile
 * is seen either as a live session or as indexed.
 */
export async function assertIndexPlausible(repo: DirectRepository, signal?: AbortSignal): Promise<void> {
  const listed: BlobMetadata[] = [];
  for (const prefix of ['p', 'q']) for await (const bm of repo.blobs.list(prefix)) listed.push(bm);
  const sessions = await listActiveSessions(repo.blobs, repo.encryptor);
  await repo.contents.refresh();
  const used = referencedPacks(repo);
  const unexplained = await findUnexplainedPacks(contentsView(repo), listed.filter((bm) => !used.has(bm.id)), sessions, { signal });
  if (unexplained.length > 0) throw new ImplausibleIndexError(unexplained);
}
