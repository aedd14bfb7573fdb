// The `kopia.maintenance` blob (kopia repo/maintenance/maintenance_schedule.go, kopia-format.md §10.1):
//   nonce(12) ‖ AES-256-GCM(key = DeriveKey("maintenance schedule", 32), AAD = "maintenance") of
//   {"nextFullMaintenance":…,"nextQuickMaintenance":…,"runs":{"<task>":[{"start","end","success","error","extra"}…]}}
// Runs are kept newest first, at most 50 per task. Kopia and Cairn share the history: the two-GC-cycle
// rule reads the "snapshot-gc" runs whoever recorded them. Its storage timestamp after a write is the
// maintenance start time.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { BlobStore } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import { CorruptionError } from '../errors.ts';
import type { RepositoryFormat } from '../format/repository-config.ts';
import { goJsonEncode, isJsonObject } from '../format/go-json.ts';
import type { SafetyParameters } from './safety.ts';

export const MAINTENANCE_SCHEDULE_BLOB_ID = 'kopia.maintenance';
const KEY_PURPOSE = 'maintenance schedule';
const AAD = Buffer.from('maintenance', 'utf8');
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
export const MAX_RUNS_PER_TASK = 50;
/** Go's zero time.Time, as kopia writes an unset time. */
export const GO_ZERO_TIME = new Date('0001-01-01T00:00:00Z');

/** kopia task IDs (maintenance_run.go). */
export const TASK = {
  snapshotGc: 'snapshot-gc',
  deleteOrphanedBlobsQuick: 'quick-delete-blobs',
  deleteOrphanedBlobsFull: 'full-delete-blobs',
  rewriteContentsQuick: 'quick-rewrite-contents',
  rewriteContentsFull: 'full-rewrite-contents',
  dropDeletedContentsFull: 'full-drop-deleted-content',
  cleanupLogs: 'cleanup-logs',
  epochAdvance: 'advance-epoch',
  epochDeleteSupersededIndexes: 'delete-superseded-epoch-indexes',
  epochCleanupMarkers: 'cleanup-epoch-markers',
  epochGenerateRange: 'generate-epoch-range-index',
  epochCompactSingle: 'compact-single-epoch',
  /** Cairn's own (kopia has no such task; its `maintenance info` lists it like the others). */
  cleanupTemporaryFiles: 'cleanup-temporary-files',
} as const;

export interface RunInfo {
  readonly start: Date;
  readonly end: Date;
  readonly success: boolean;
  readonly error?: string;
  /** kopia maintenancestats.Extra values ({kind, data}), kept as read. */
  readonly extra?: readonly unknown[];
}

export interface MaintenanceSchedule {
  nextFullMaintenance: Date;
  nextQuickMaintenance: Date;
  /** Task ID -> runs, newest first. */
  readonly runs: Map<string, RunInfo[]>;
}

export function emptySchedule(): MaintenanceSchedule {
  return { nextFullMaintenance: GO_ZERO_TIME, nextQuickMaintenance: GO_ZERO_TIME, runs: new Map() };
}

function scheduleKey(format: RepositoryFormat): Buffer {
  return format.deriveKey(KEY_PURPOSE, 32);
}

/** Go time.Time JSON (RFC 3339, fraction trimmed). */
export function goTime(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z');
}

function parseTime(v: unknown, where: string): Date {
  if (v === undefined || v === null) return GO_ZERO_TIME;
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new CorruptionError(`${where} is not a time: ${JSON.stringify(v)}`, { hint: 'the maintenance schedule is damaged; delete kopia.maintenance to reset it' });
  return d;
}

export function encodeSchedule(s: MaintenanceSchedule): Buffer {
  const runs = new Map<string, unknown>();
  for (const [task, list] of s.runs) {
    runs.set(task, list.map((r) => {
      const o: Record<string, unknown> = { start: goTime(r.start), end: goTime(r.end) };
      if (r.success) o['success'] = true;
      if (r.error !== undefined && r.error !== '') o['error'] = r.error;
      if (r.extra !== undefined && r.extra.length > 0) o['extra'] = r.extra;
      return o;
    }));
  }
  return Buffer.from(goJsonEncode({
    nextFullMaintenance: goTime(s.nextFullMaintenance), nextQuickMaintenance: goTime(s.nextQuickMaintenance), runs,
  }), 'utf8');
}

export function decodeSchedule(json: Buffer): MaintenanceSchedule {
  let v: unknown;
  try {
    v = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new CorruptionError('kopia.maintenance does not hold JSON', { cause: e, hint: 'delete kopia.maintenance to reset the maintenance schedule' });
  }
  if (!isJsonObject(v)) throw new CorruptionError('kopia.maintenance is not a JSON object', { hint: 'delete kopia.maintenance to reset the maintenance schedule' });
  const runs = new Map<string, RunInfo[]>();
  const rawRuns = v['runs'];
  if (isJsonObject(rawRuns)) {
    for (const [task, list] of Object.entries(rawRuns)) {
      if (!Array.isArray(list)) continue;
      runs.set(task, list.filter(isJsonObject).map((r) => ({
        start: parseTime(r['start'], `kopia.maintenance run ${task}.start`),
        end: parseTime(r['end'], `kopia.maintenance run ${task}.end`),
        success: r['success'] === true,
        ...(typeof r['error'] === 'string' ? { error: r['error'] } : {}),
        ...(Array.isArray(r['extra']) ? { extra: r['extra'] as unknown[] } : {}),
      })));
    }
  }
  return {
    nextFullMaintenance: parseTime(v['nextFullMaintenance'], 'kopia.maintenance nextFullMaintenance'),
    nextQuickMaintenance: parseTime(v['nextQuickMaintenance'], 'kopia.maintenance nextQuickMaintenance'),
    runs,
  };
}

/** Reads the schedule; a missing blob is an empty schedule (kopia GetSchedule). */
export async function readSchedule(store: Pick<BlobStore, 'get'>, format: RepositoryFormat): Promise<MaintenanceSchedule> {
  let data: Buffer;
  try {
    data = await store.get(MAINTENANCE_SCHEDULE_BLOB_ID);
  } catch (e) {
    if (e instanceof BlobNotFoundError) return emptySchedule();
    throw e;
  }
  if (data.length < NONCE_SIZE + TAG_SIZE) throw new CorruptionError(`kopia.maintenance is only ${data.length} bytes`, { hint: 'delete kopia.maintenance to reset the maintenance schedule' });
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', scheduleKey(format), data.subarray(0, NONCE_SIZE), { authTagLength: TAG_SIZE });
    d.setAAD(AAD);
    d.setAuthTag(data.subarray(data.length - TAG_SIZE));
    plain = Buffer.concat([d.update(data.subarray(NONCE_SIZE, data.length - TAG_SIZE)), d.final()]);
  } catch (e) {
    throw new CorruptionError('kopia.maintenance failed authentication', { cause: e, hint: 'the maintenance schedule is damaged or from another repository; delete kopia.maintenance to reset it' });
  }
  return decodeSchedule(plain);
}

export function sealSchedule(format: RepositoryFormat, s: MaintenanceSchedule): Buffer {
  const nonce = randomBytes(NONCE_SIZE);
  const c = createCipheriv('aes-256-gcm', scheduleKey(format), nonce, { authTagLength: TAG_SIZE });
  c.setAAD(AAD);
  return Buffer.concat([nonce, c.update(encodeSchedule(s)), c.final(), c.getAuthTag()]);
}

export async function writeSchedule(store: Pick<BlobStore, 'put'>, format: RepositoryFormat, s: MaintenanceSchedule): Promise<void> {
  await store.put(MAINTENANCE_SCHEDULE_BLOB_ID, sealSchedule(format, s));
}

/** Adds a run as the newest of its task, keeping at most 50 (kopia Schedule.ReportRun). */
export function recordRun(s: MaintenanceSchedule, task: string, run: RunInfo): void {
  s.runs.set(task, [run, ...(s.runs.get(task) ?? [])].slice(0, MAX_RUNS_PER_TASK));
}

/** Latest end time of the successful runs of the given tasks, or undefined (kopia maxEndTime). */
export function maxEndTime(s: MaintenanceSchedule, ...tasks: string[]): Date | undefined {
  let best: Date | undefined;
  for (const t of tasks) {
    for (const r of s.runs.get(t) ?? []) if (r.success && (best === undefined || r.end > best)) best = r.end;
  }
  return best;
}

/**
 * kopia findSafeDropTime: deleted contents older than the returned time may be forgotten, because two
 * successful snapshot GCs at least MarginBetweenSnapshotGC apart have run since; undefined = not yet.
 */
export function findSafeDropTime(runs: readonly RunInfo[], safety: SafetyParameters): Date | undefined {
  const ok = runs.filter((r) => r.success).sort((a, b) => b.start.getTime() - a.start.getTime());
  if (ok.length <= 1) return undefined;
  const latest = ok[0]!;
  for (const r of ok.slice(1)) {
    if (latest.start.getTime() - r.end.getTime() > safety.marginBetweenSnapshotGcMs) {
      return new Date(r.start.getTime() - safety.dropContentFromIndexExtraMarginMs);
    }
  }
  return undefined;
}

/** kopia shouldFullRewriteContents / shouldQuickRewriteContents. */
export function shouldRewriteContents(s: MaintenanceSchedule, safety: SafetyParameters, full: boolean): boolean {
  const lastRewrite = full ? maxEndTime(s, TASK.rewriteContentsFull) : maxEndTime(s, TASK.rewriteContentsFull, TASK.rewriteContentsQuick);
  const lastDelete = maxEndTime(s, TASK.deleteOrphanedBlobsFull, TASK.deleteOrphanedBlobsQuick);
  if (lastRewrite === undefined || safety.minRewriteToOrphanDeletionDelayMs === 0) return true;
  return lastDelete !== undefined && lastDelete >= lastRewrite;
}

/** kopia nextPackDeleteTime: orphaned packs may be deleted from this time on (undefined = any time). */
export function nextPackDeleteTime(s: MaintenanceSchedule, safety: SafetyParameters): Date | undefined {
  const lastRewrite = maxEndTime(s, TASK.rewriteContentsFull, TASK.rewriteContentsQuick);
  return lastRewrite === undefined ? undefined : new Date(lastRewrite.getTime() + safety.minRewriteToOrphanDeletionDelayMs);
}
