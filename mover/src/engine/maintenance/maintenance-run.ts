// Maintenance layer: retention applied to snapshot manifests, snapshot GC, content rewrite, pack GC, epoch
// index maintenance and the shared ownership/schedule records, so that Cairn and kopia can maintain the
// same repository (never at the same time). Guarantees:
// - nothing changes before the storage is known to accept deletes (append-only is refused up front) and
//   this client owns maintenance (the `type=maintenance` manifest; claimed when there is none);
// - every age is judged by storage time: the maintenance start is the storage timestamp of the
//   `kopia.maintenance` write, later "now" is that start advanced by the local monotonic clock, and blob
//   ages come from listings; the local wall clock only has to agree with storage within 5 minutes;
// - deletions follow kopia's safety margins (safety.ts); a run slower than its budget stops before its
//   next destructive step; a run killed at any point leaves a consistent repository (tombstones, packs and
//   index blobs are written before anything they replace is deleted) and a rerun converges.
// Kopia sources: repo/maintenance/*.go, snapshot/snapshotgc/gc.go, snapshot/snapshotmaintenance/
// snapshotmaintenance.go, internal/epoch/*.go, snapshot/policy/expire.go; kopia-format.md §10.
//
// This module: the quick and full runs (kopia maintenance.RunExclusive + runQuick/FullMaintenance).
import { CairnError, UnsupportedError } from '../errors.ts';
import { EpochMaintenance } from '../content/epoch-maintenance.ts';
import type { EpochParameters } from '../format/repository-config.ts';
import { assertDeletesPermitted } from './append-only-probe.ts';
import { cleanupLogs } from './cleanup-logs.ts';
import { rewriteShortPacks } from './content-rewrite.ts';
import {
  DEFAULT_MAINTENANCE_PARAMS, MaintenanceOwnedError, effectiveLogRetention, readMaintenanceParams, writeMaintenanceParams,
  type MaintenanceParams,
} from './maintenance-params.ts';
import type { DirectRepository } from '../repo/repository.ts';
import {
  MAINTENANCE_SCHEDULE_BLOB_ID, TASK, findSafeDropTime, maxEndTime, nextPackDeleteTime, readSchedule, recordRun,
  shouldRewriteContents, writeSchedule, type MaintenanceSchedule,
} from './maintenance-schedule.ts';
import { FULL_PACK_GC_PREFIXES, assertIndexPlausible, deleteUnreferencedPacks, ofLiveSession } from './pack-gc.ts';
import { listActiveSessions } from '../content/session-marker.ts';
import { SAFETY_FULL, type EpochOverrides, type SafetyParameters } from './safety.ts';
import { runSnapshotGc } from './snapshot-gc.ts';

export type MaintenanceMode = 'quick' | 'full';
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface MaintenanceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MaintenanceRunOptions {
  readonly mode: MaintenanceMode;
  /** This client's identity, `user@host` (kopia ClientOptions.UsernameAtHost). */
  readonly owner: string;
  /** Run even when another client owns maintenance (unsafe if it is running). */
  readonly force?: boolean;
  /** Default SAFETY_FULL. */
  readonly safety?: SafetyParameters;
  /** Test only: epoch parameters replacing the repository's for this run. */
  readonly epochOverrides?: EpochOverrides;
  /** Local wall clock (clock-skew check, schedule times); default Date. */
  readonly now?: () => Date;
  /** Monotonic milliseconds (storage time advances by it); default performance.now. */
  readonly monotonicMs?: () => number;
  readonly logger?: MaintenanceLogger;
  /** Called when a task starts, with kopia's task ID (tests interrupt runs here). */
  readonly onTask?: (task: string) => void | Promise<void>;
  /** Called after every blob maintenance deletes. */
  readonly onBlobDeleted?: (blobId: string) => void | Promise<void>;
  readonly signal?: AbortSignal | undefined;
}

export interface TaskReport {
  readonly task: string;
  readonly start: Date;
  readonly end: Date;
  readonly success: boolean;
  readonly error?: string;
  /** kopia's statistics kind and values. */
  readonly kind?: string;
  readonly stats?: object;
}

export interface MaintenanceReport {
  readonly mode: MaintenanceMode;
  readonly owner: string;
  /** True when the repository had no maintenance owner and this run claimed it. */
  readonly claimedOwnership: boolean;
  /** Storage timestamp of the run's start. */
  readonly startTime: Date;
  readonly tasks: readonly TaskReport[];
  /** Tasks not run and why (e.g. waiting for the second GC cycle). */
  readonly skipped: readonly { readonly task: string; readonly reason: string }[];
}

export class ClockSkewError extends CairnError {
  constructor(localMs: number, storageMs: number) {
    super('REFUSED', `the local clock differs from the storage clock by ${Math.round(Math.abs(localMs - storageMs) / 1000)} s (local ${new Date(localMs).toISOString()}, storage ${new Date(storageMs).toISOString()}); refusing to run maintenance`, {
      hint: 'synchronise this machine\'s clock (NTP); maintenance ages are judged by storage time and allow at most 5 minutes of skew',
    });
  }
}

export class MaintenanceBudgetError extends CairnError {
  constructor(step: string, elapsedMs: number, budgetMs: number) {
    super('REFUSED', `maintenance ran ${Math.round(elapsedMs / 1000)} s (storage time) before ${step}, longer than its safety budget of ${Math.round(budgetMs / 1000)} s; stopped before deleting anything more`, {
      hint: 'rerun maintenance; if it is always this slow, run it on a faster machine or closer to the storage',
    });
  }
}

/** kopia runs maintenance only for epoch-indexed repositories here; legacy index compaction is not implemented. */
function epochParameters(repo: DirectRepository, overrides: EpochOverrides | undefined): EpochParameters {
  const p = repo.format.config.epochParameters;
  if (!p.enabled) {
    throw new UnsupportedError('this repository uses legacy (non-epoch) index blobs; Cairn maintains only epoch-indexed repositories', {
      hint: 'run `kopia maintenance run` for this repository, or upgrade it with `kopia repository upgrade`',
    });
  }
  return { ...p, ...overrides };
}

export async function runMaintenance(repo: DirectRepository, options: MaintenanceRunOptions): Promise<MaintenanceReport> {
  const safety = options.safety ?? SAFETY_FULL;
  const localNow = options.now ?? (() => new Date());
  const mono = options.monotonicMs ?? (() => performance.now());
  const params = epochParameters(repo, options.epochOverrides);
  const log = options.logger;

  // Before anything is written: with index entries lost, snapshots are missing too (their manifests are
  // contents), the ownership record may be gone, and snapshot GC would mark what only the missing
  // snapshots use as unused — tombstones newer than anything `cairn index recover` can bring back.
  await assertIndexPlausible(repo, options.signal);
  await assertDeletesPermitted(repo.blobs, `maintenance run${options.mode === 'full' ? ' --full' : ''}`);

  const stored = await readMaintenanceParams(repo.manifests);
  let mp: MaintenanceParams = stored.params;
  let claimed = false;
  if (stored.manifestIds.length === 0) {
    mp = { ...DEFAULT_MAINTENANCE_PARAMS, owner: options.owner };
    await writeMaintenanceParams(repo.manifests, mp);
    await repo.flush();
    claimed = true;
    log?.info({ owner: options.owner }, 'repository had no maintenance owner; claimed it');
  } else if (mp.owner !== options.owner && options.force !== true) {
    throw new MaintenanceOwnedError(mp.owner, options.owner);
  }

  // kopia updateSchedule: push the next times first, so a crash does not make this run due again at once
  const schedule = await readSchedule(repo.blobs, repo.format);
  const wall = localNow().getTime();
  if (options.mode === 'full') schedule.nextFullMaintenance = new Date(wall + mp.full.intervalMs);
  schedule.nextQuickMaintenance = new Date(wall + mp.quick.intervalMs);
  await writeSchedule(repo.blobs, repo.format, schedule);
  const start = (await repo.blobs.stat(MAINTENANCE_SCHEDULE_BLOB_ID)).timestamp;
  const monoStart = mono();
  const local = localNow().getTime();
  if (Math.abs(local - start.getTime()) > MAX_CLOCK_SKEW_MS) throw new ClockSkewError(local, start.getTime());
  const storageNow = (): Date => new Date(start.getTime() + (mono() - monoStart));
  log?.info({ mode: options.mode, start: start.toISOString(), safety }, 'running maintenance');

  await repo.contents.refresh();
  repo.manifests.reload();

  const run = new Run(repo, schedule, start, storageNow, safety, options);
  const em = new EpochMaintenance({
    store: repo.blobs, params, hasher: repo.hasher, encryptor: repo.encryptor,
    indexVersion: repo.format.config.indexVersion === 0 ? 1 : repo.format.config.indexVersion, now: localNow,
    ...(options.onBlobDeleted !== undefined ? { onDeleted: options.onBlobDeleted } : {}),
  });

  if (options.mode === 'full') await runFull(run, em, mp);
  else await runQuick(run, em);
  return { mode: options.mode, owner: mp.owner, claimedOwnership: claimed, startTime: start, tasks: run.tasks, skipped: run.skipped };
}

async function runQuick(run: Run, em: EpochMaintenance): Promise<void> {
  await run.task(TASK.epochCompactSingle, 'compactSingleEpochStats', () => em.maybeCompactSingleEpoch());
  await run.task(TASK.epochAdvance, 'advanceEpochStats', () => em.maybeAdvanceWriteEpoch());
  if (shouldRewriteContents(run.schedule, run.safety, false)) {
    await run.task(TASK.rewriteContentsQuick, 'rewriteContentsStats', () =>
      rewriteShortPacks(run.repo, { packPrefix: 'q', rewriteMinAgeMs: run.safety.rewriteMinAgeMs, now: run.storageNow(), signal: run.signal }));
  } else run.skip(TASK.rewriteContentsQuick, 'the previous rewrite has not been followed by a pack deletion yet');
  if (run.mayDeleteOrphans(TASK.deleteOrphanedBlobsQuick)) {
    // a full rewrite must be finished by a full deletion, else its orphaned data packs would never go
    const full = !(maxEndTime(run.schedule, TASK.rewriteContentsFull) ?? new Date(0) < (maxEndTime(run.schedule, TASK.rewriteContentsQuick) ?? new Date(0)));
    await run.deletePacks(full ? TASK.deleteOrphanedBlobsFull : TASK.deleteOrphanedBlobsQuick, full ? FULL_PACK_GC_PREFIXES : ['q']);
  }
}

async function runFull(run: Run, em: EpochMaintenance, mp: MaintenanceParams): Promise<void> {
  const { repo, safety } = run;
  await run.task(TASK.snapshotGc, 'snapshotGCStats', () => runSnapshotGc(repo, {
    maintenanceStart: run.start, minContentAgeMs: safety.minContentAgeSubjectToGcMs, delete: true,
    beforeChanges: () => run.checkBudget('marking unused contents deleted'), signal: run.signal,
  }));

  if (shouldRewriteContents(run.schedule, safety, true)) {
    await run.task(TASK.rewriteContentsFull, 'rewriteContentsStats', () =>
      rewriteShortPacks(repo, { rewriteMinAgeMs: safety.rewriteMinAgeMs, now: run.storageNow(), signal: run.signal }));
  } else run.skip(TASK.rewriteContentsFull, 'the previous rewrite has not been followed by a pack deletion yet');

  const dropTime = safety.requireTwoGcCycles
    ? findSafeDropTime(run.schedule.runs.get(TASK.snapshotGc) ?? [], safety)
    // tombstones carry this process's wall-clock times, so cover them as well as storage time
    : new Date(Math.max(run.storageNow().getTime(), run.localNow().getTime()));
  if (dropTime === undefined) {
    run.skip(TASK.dropDeletedContentsFull, 'deleted contents are dropped only after two snapshot GC runs far enough apart');
  } else {
    await run.task(TASK.dropDeletedContentsFull, 'compactIndexesStats', async () => {
      await run.checkBudget('dropping deleted contents');
      const advanced = await em.advanceDeletionWatermark(Math.floor(dropTime.getTime() / 1000));
      await repo.contents.refresh();
      return advanced ? { droppedContentsDeletedBefore: dropTime } : undefined;
    });
  }

  if (run.mayDeleteOrphans(TASK.deleteOrphanedBlobsFull)) await run.deletePacks(TASK.deleteOrphanedBlobsFull, FULL_PACK_GC_PREFIXES);
  if (mp.extendObjectLocks) run.skip('extend-blob-retention-time', 'extending object-lock retention is not implemented in Cairn; run `kopia maintenance run --full` for it');

  await run.task(TASK.epochCompactSingle, 'compactSingleEpochStats', () => em.maybeCompactSingleEpoch());
  await run.task(TASK.epochAdvance, 'advanceEpochStats', () => em.maybeAdvanceWriteEpoch());
  await run.task(TASK.epochGenerateRange, 'generateRangeCheckpointStats', () => em.maybeGenerateRangeCheckpoint());
  await run.task(TASK.epochCleanupMarkers, 'cleanupMarkersStats', async () => {
    await run.checkBudget('cleaning up epoch markers');
    return em.cleanupMarkers();
  });
  await run.task(TASK.epochDeleteSupersededIndexes, 'cleanupSupersededIndexesStats', async () => {
    await run.checkBudget('deleting superseded index blobs');
    return em.cleanupSupersededIndexes();
  });
  await run.task(TASK.cleanupLogs, 'cleanupLogsStats', () => cleanupLogs(repo.blobs, {
    retention: effectiveLogRetention(mp.logRetention), now: run.storageNow(), beforeDelete: () => run.checkBudget('deleting log blobs'),
  }));
  // temp files of writes killed before their rename (a pack streamed while it fills leaves up to ~20 MiB);
  // only stores that leave them (a filesystem) offer the sweep. A younger one, or one of a live session (its
  // writer may be waiting on its source or its turn), may be a write in progress: kept, as pack GC keeps packs.
  const sweep = repo.blobs.sweepTemporary?.bind(repo.blobs);
  if (sweep !== undefined) {
    await run.task(TASK.cleanupTemporaryFiles, 'cleanupTemporaryFilesStats', async () => {
      await run.checkBudget('deleting stale temporary files');
      const now = run.storageNow().getTime();
      return sweep(new Date(now - safety.minContentAgeSubjectToGcMs), async () => {
        const sessions = await listActiveSessions(repo.blobs, repo.encryptor);
        return (blobId) => ofLiveSession(blobId, now, sessions, safety.sessionExpirationAgeMs);
      });
    });
  }
}

/** State of one run: the schedule it records into, its clocks and budget. */
class Run {
  readonly tasks: TaskReport[] = [];
  readonly skipped: { task: string; reason: string }[] = [];
  readonly repo: DirectRepository;
  readonly schedule: MaintenanceSchedule;
  readonly start: Date;
  readonly storageNow: () => Date;
  readonly localNow: () => Date;
  readonly safety: SafetyParameters;
  readonly signal: AbortSignal | undefined;
  private readonly options: MaintenanceRunOptions;

  constructor(repo: DirectRepository, schedule: MaintenanceSchedule, start: Date, storageNow: () => Date, safety: SafetyParameters,
    options: MaintenanceRunOptions) {
    this.repo = repo;
    this.schedule = schedule;
    this.start = start;
    this.storageNow = storageNow;
    this.localNow = options.now ?? (() => new Date());
    this.safety = safety;
    this.signal = options.signal;
    this.options = options;
  }

  skip(task: string, reason: string): void {
    this.skipped.push({ task, reason });
    this.options.logger?.info({ task, reason }, 'skipping maintenance task');
  }

  /** kopia shouldDeleteOrphanedPacks: at least MinRewriteToOrphanDeletionDelay after the last rewrite. */
  mayDeleteOrphans(task: string): boolean {
    const next = nextPackDeleteTime(this.schedule, this.safety);
    if (next === undefined || this.storageNow() >= next) return true;
    this.skip(task, `orphaned packs may be deleted from ${next.toISOString()} (an hour after the last content rewrite, so other clients see the new locations)`);
    return false;
  }

  async deletePacks(task: string, prefixes: readonly string[]): Promise<void> {
    await this.task(task, 'deleteUnreferencedPacksStats', async () => {
      return deleteUnreferencedPacks(this.repo, {
        prefixes, maintenanceStart: this.start, packDeleteMinAgeMs: this.safety.packDeleteMinAgeMs,
        sessionExpirationAgeMs: this.safety.sessionExpirationAgeMs, beforeDelete: () => this.checkBudget('deleting unreferenced packs'),
        signal: this.signal, ...(this.options.onBlobDeleted !== undefined ? { onDeleted: this.options.onBlobDeleted } : {}),
      });
    });
  }

  /** Throws MaintenanceBudgetError when more storage time than the budget has passed since the start. */
  async checkBudget(step: string): Promise<void> {
    const budget = this.safety.maxRunBeforeDeleteMs;
    if (budget <= 0) return;
    // a fresh storage timestamp: rewrite the schedule (it is rewritten after every task anyway)
    await writeSchedule(this.repo.blobs, this.repo.format, this.schedule);
    const now = (await this.repo.blobs.stat(MAINTENANCE_SCHEDULE_BLOB_ID)).timestamp.getTime();
    const elapsed = Math.max(now, this.storageNow().getTime()) - this.start.getTime();
    if (elapsed > budget) throw new MaintenanceBudgetError(step, elapsed, budget);
  }

  /** Runs a task and records it in the schedule (kopia ReportRun), whether it succeeds or fails. */
  async task(task: string, kind: string, fn: () => Promise<object | undefined>): Promise<void> {
    if (this.signal?.aborted === true) throw this.signal.reason;
    await this.options.onTask?.(task);
    const start = this.storageNow();
    let stats: object | undefined;
    let error: unknown;
    try {
      stats = await fn();
    } catch (e) {
      error = e;
    }
    const end = this.storageNow();
    const message = error === undefined ? undefined : error instanceof Error ? error.message : String(error);
    recordRun(this.schedule, task, {
      start, end, success: error === undefined,
      ...(message !== undefined ? { error: message } : {}),
      ...(stats !== undefined ? { extra: [{ kind, data: stats }] } : {}),
    });
    this.tasks.push({ task, start, end, success: error === undefined, ...(message !== undefined ? { error: message } : {}),
      ...(stats !== undefined ? { kind, stats } : {}) });
    try {
      await writeSchedule(this.repo.blobs, this.repo.format, this.schedule);
    } catch (e) {
      // as kopia: the task's outcome stands; a lost record only delays the two-GC-cycle rule
      this.options.logger?.warn({ task, err: e }, 'could not record the maintenance run');
    }
    this.options.logger?.info({ task, success: error === undefined, stats }, 'maintenance task finished');
    if (error !== undefined) throw error;
  }
}
