// Options and results of restore (restore.ts).
import type { WorkersStarting } from '../util/worker-ready.ts';
import type { RestoreWorkerPool } from './restore-worker-pool.ts';

export interface RestoreProgress {
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  /** File bytes written (holes included). */
  readonly bytes: number;
}

export interface RestoreStats extends RestoreProgress {
  /** Snapshot-relative paths of entries of unknown type that were not restored. */
  readonly skipped: readonly string[];
  /** Existing directories of someone else's (a volume's root) whose owner, mode and times were left as they were. */
  readonly attributesKept: readonly string[];
}

export interface RestoreOptions {
  /** Allow a non-empty target; existing files are replaced. */
  readonly overwrite?: boolean;
  /** Snapshot-relative paths to restore (each with its subtree); empty = everything. */
  readonly paths?: readonly string[];
  /** Pack range reads in flight (default: restore-resources.ts's plan without a memory limit, 8). */
  readonly parallel?: number;
  /** Writer worker threads that decode and write file data (default: the same plan, cores up to 4). */
  readonly writers?: number;
  /** Set owners from the snapshot (default: when running as root). */
  readonly restoreOwnership?: boolean;
  /** Called at most every 100 ms and once at the end. */
  readonly onProgress?: (progress: RestoreProgress) => void;
  readonly signal?: AbortSignal;
  /** Largest pack range per GET (default: the same plan, 8 MiB). */
  readonly maxRangeBytes?: number;
  /** Gap between needed contents read through instead of splitting the GET (default 64 KiB). */
  readonly maxGapBytes?: number;
  /** Told when the writer workers start and when they have loaded (util/worker-ready.ts). */
  readonly workersStarting?: WorkersStarting;
  /**
   * Writer threads the caller started before the repository opened (RestoreWorkerPool.prestart), used when
   * started with this restore's ownership and overwrite settings; the caller closes them.
   */
  readonly workers?: RestoreWorkerPool;
}

/** Whether the restore sets owners from the snapshot: as asked, else when running as root. */
export function restoresOwnership(options: Pick<RestoreOptions, 'restoreOwnership'>): boolean {
  return options.restoreOwnership ?? process.getuid?.() === 0;
}
