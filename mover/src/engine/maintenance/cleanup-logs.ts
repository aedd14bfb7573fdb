// Deleting kopia's diagnostic log blobs (`_log_…`) beyond the retention of the maintenance parameters
// (kopia repo/maintenance/cleanup_logs.go): newest first, everything after the first blob that would exceed
// the total size, the count, or is older than the maximum age is deleted. Cairn writes no log blobs; this
// keeps a repository kopia also writes to tidy.
import type { BlobStore } from '../blob/blob-store.ts';
import { listAll } from '../blob/blob-store.ts';
import type { LogRetention } from './maintenance-params.ts';

export const LOG_BLOB_PREFIX = '_log_';

/** kopia maintenancestats.CleanupLogsStats. */
export interface CleanupLogsStats {
  retainedBlobCount: number;
  retainedBlobSize: number;
  toDeleteBlobCount: number;
  toDeleteBlobSize: number;
  deletedBlobCount: number;
  deletedBlobSize: number;
}

export interface CleanupLogsOptions {
  readonly retention: LogRetention;
  /** Storage time estimate ages are measured against. */
  readonly now: Date;
  readonly dryRun?: boolean;
  readonly beforeDelete?: () => Promise<void>;
}

export async function cleanupLogs(store: BlobStore, options: CleanupLogsOptions): Promise<CleanupLogsStats> {
  const all = (await listAll(store, LOG_BLOB_PREFIX)).sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime());
  const r = options.retention;
  let retained = 0;
  let cut = all.length;
  for (let i = 0; i < all.length; i++) {
    const b = all[i]!;
    if (r.maxTotalSize > 0 && retained + b.length > r.maxTotalSize) { cut = i; break; }
    if (r.maxCount > 0 && i >= r.maxCount) { cut = i; break; }
    if (r.maxAgeMs !== 0 && options.now.getTime() - b.timestamp.getTime() > r.maxAgeMs) { cut = i; break; }
    retained += b.length;
  }
  const doomed = all.slice(cut);
  const size = doomed.reduce((n, b) => n + b.length, 0);
  const stats: CleanupLogsStats = {
    retainedBlobCount: cut, retainedBlobSize: retained, toDeleteBlobCount: doomed.length, toDeleteBlobSize: size, deletedBlobCount: 0, deletedBlobSize: 0,
  };
  if (options.dryRun === true || doomed.length === 0) return stats;
  await options.beforeDelete?.();
  for (const b of doomed) await store.delete(b.id);
  stats.deletedBlobCount = doomed.length;
  stats.deletedBlobSize = size;
  return stats;
}
