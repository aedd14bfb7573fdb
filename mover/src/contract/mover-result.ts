// The one-line JSON a `cairn` command leaves with `--result-file` (the mover Job's termination message).
// Kubernetes caps termination messages at 4096 bytes, so lists are truncated and counted instead.
import type { ErrorCode } from './error-codes.ts';

export const RESULT_SCHEMA_VERSION = 1;
export const MAX_RESULT_BYTES = 4096;

export interface SnapshotSummary {
  readonly id: string;
  readonly source: string; // user@host:/path
  readonly startTime: string; // RFC 3339
  readonly endTime: string;
  readonly rootObject: string;
  readonly files: number;
  readonly dirs: number;
  readonly bytes: number; // logical bytes of files in the snapshot
  readonly bytesRead: number; // bytes read from the source (0 for an unchanged tree)
  readonly bytesUploaded: number; // new packed bytes written to storage
  readonly partial: boolean;
  readonly skipped: readonly string[]; // truncated; see skippedCount
  readonly skippedCount: number;
  /** Files that grew, shrank or were replaced while read: stored as read (size = bytes stored). */
  readonly changedWhileRead?: number;
  readonly retentionReasons?: readonly string[];
}

export interface MoverResult {
  readonly v: typeof RESULT_SCHEMA_VERSION;
  readonly command: string; // e.g. "snapshot create"
  readonly ok: boolean;
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly message?: string;
  readonly hint?: string;
  readonly durationSeconds: number;
  /** Peak resident memory of the mover process, for sizing its pod's memory limit. */
  readonly peakMemoryBytes?: number;
  readonly repository?: { readonly uniqueId?: string; readonly snapshotCount?: number; readonly sizeBytes?: number };
  readonly snapshot?: SnapshotSummary;
  readonly restore?: { readonly files: number; readonly dirs: number; readonly bytes: number };
  readonly deleted?: readonly string[];
}

/** Serialize a result, shrinking lists until it fits in a termination message. */
export function encodeResult(result: MoverResult): string {
  let r: MoverResult = result;
  let text = JSON.stringify(r);
  let keep = r.snapshot?.skipped.length ?? 0;
  while (Buffer.byteLength(text) > MAX_RESULT_BYTES && r.snapshot !== undefined && keep > 0) {
    keep = Math.floor(keep / 2);
    r = { ...r, snapshot: { ...r.snapshot, skipped: r.snapshot.skipped.slice(0, keep) } };
    text = JSON.stringify(r);
  }
  if (Buffer.byteLength(text) > MAX_RESULT_BYTES && r.message !== undefined) {
    r = { ...r, message: r.message.slice(0, 1024), deleted: r.deleted?.slice(0, 16) };
    text = JSON.stringify(r);
  }
  return text;
}

export function decodeResult(text: string): MoverResult {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('mover result is not a JSON object');
  const o = parsed as Record<string, unknown>;
  if (o['v'] !== RESULT_SCHEMA_VERSION || typeof o['ok'] !== 'boolean' || typeof o['code'] !== 'string') {
    throw new Error('mover result has an unknown schema');
  }
  return parsed as MoverResult;
}
