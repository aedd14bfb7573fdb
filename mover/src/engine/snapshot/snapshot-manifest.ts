// Snapshot manifests (kopia snapshot/manifest.go Manifest, snapshot/stats.go Stats, snapshot/manager.go
// labels): the payload of a `type=snapshot` manifest, with kopia's key order and omitempty rules.
import type { Labels } from '../manifest/manifest-store.ts';
import { CorruptionError, UsageError } from '../errors.ts';
import { decodeDirEntry, dirEntryToJson } from './dir-entry.ts';
import type { DirEntry } from './dir-entry.ts';
import { compareUtf8 } from './dir-manifest.ts';
import { EPOCH_RFC3339, formatRfc3339Nano, goField, isJsonObject, parseRfc3339Nano } from './snapshot-json.ts';
import type { SourceInfo } from './source-info.ts';

export const SNAPSHOT_MANIFEST_TYPE = 'snapshot';
export const TYPE_LABEL = 'type';
export const HOSTNAME_LABEL = 'hostname';
export const USERNAME_LABEL = 'username';
export const PATH_LABEL = 'path';

export interface SnapshotStats {
  readonly totalSize: number;
  readonly excludedTotalSize: number;
  readonly fileCount: number;
  readonly cachedFiles: number;
  readonly nonCachedFiles: number;
  readonly dirCount: number;
  readonly excludedFileCount: number;
  readonly excludedDirCount: number;
  readonly ignoredErrorCount: number;
  readonly errorCount: number;
}

const STAT_KEYS = [
  'totalSize',
  'excludedTotalSize',
  'fileCount',
  'cachedFiles',
  'nonCachedFiles',
  'dirCount',
  'excludedFileCount',
  'excludedDirCount',
  'ignoredErrorCount',
  'errorCount',
] as const satisfies readonly (keyof SnapshotStats)[];

export interface SnapshotManifest {
  /** The manifest ID (never stored in the payload). */
  readonly id: string;
  readonly source: SourceInfo;
  readonly description: string;
  /** RFC3339Nano UTC. */
  readonly startTime: string;
  readonly endTime: string;
  readonly stats: SnapshotStats;
  /** Absent/"" for a complete snapshot; kopia writes "checkpoint", "canceled", "limit reached". */
  readonly incomplete?: string | undefined;
  readonly rootEntry: DirEntry | undefined;
  /** User tags; keys carry kopia's "tag:" prefix. Decoded manifests always carry the field. */
  readonly tags?: Readonly<Record<string, string>> | undefined;
  readonly pins?: readonly string[] | undefined;
}

export function emptySnapshotStats(): SnapshotStats {
  return {
    totalSize: 0,
    excludedTotalSize: 0,
    fileCount: 0,
    cachedFiles: 0,
    nonCachedFiles: 0,
    dirCount: 0,
    excludedFileCount: 0,
    excludedDirCount: 0,
    ignoredErrorCount: 0,
    errorCount: 0,
  };
}

/** The payload as a plain JSON value in kopia's key order, `id` written empty as SaveSnapshot does. */
export function snapshotManifestToJson(m: SnapshotManifest): Record<string, unknown> {
  const stats: Record<string, number> = {};
  for (const k of STAT_KEYS) stats[k] = m.stats[k];
  const out: Record<string, unknown> = {
    id: '',
    source: { host: m.source.host, userName: m.source.userName, path: m.source.path },
    description: m.description,
    startTime: m.startTime,
    endTime: m.endTime,
    stats,
  };
  if (m.incomplete !== undefined && m.incomplete !== '') out['incomplete'] = m.incomplete;
  out['rootEntry'] = m.rootEntry === undefined ? null : dirEntryToJson(m.rootEntry);
  const mt = m.tags ?? {};
  const tagKeys = Object.keys(mt).sort(compareUtf8);
  if (tagKeys.length > 0) {
    const tags: Record<string, string> = {};
    for (const k of tagKeys) tags[k] = mt[k]!;
    out['tags'] = tags;
  }
  if (m.pins !== undefined && m.pins.length > 0) out['pins'] = [...m.pins];
  return out;
}

function corrupt(id: string, what: string): CorruptionError {
  return new CorruptionError(`snapshot manifest ${id}: ${what}`, {
    hint: 'The snapshot metadata is damaged; delete the snapshot or restore another one.',
  });
}

function str(obj: Readonly<Record<string, unknown>>, key: string, id: string): string {
  const v = goField(obj, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw corrupt(id, `field "${key}" is not a string`);
  return v;
}

function time(obj: Readonly<Record<string, unknown>>, key: string, id: string): string {
  const v = str(obj, key, id);
  return v === '' ? EPOCH_RFC3339 : formatRfc3339Nano(parseRfc3339Nano(v, `snapshot manifest ${id}: field "${key}"`));
}

/** Parses a snapshot payload (lenient like Go: case-insensitive keys, unknown keys ignored). */
export function snapshotManifestFromJson(v: unknown, id: string): SnapshotManifest {
  if (!isJsonObject(v)) throw corrupt(id, 'payload is not an object');
  const src = goField(v, 'source');
  if (!isJsonObject(src)) throw corrupt(id, 'field "source" is missing');
  const statsRaw = goField(v, 'stats');
  const stats: Record<string, number> = { ...emptySnapshotStats() };
  if (isJsonObject(statsRaw)) {
    for (const k of STAT_KEYS) {
      const n = goField(statsRaw, k);
      if (typeof n === 'number') stats[k] = n;
    }
  }
  const tagsRaw = goField(v, 'tags');
  const tags: Record<string, string> = {};
  if (isJsonObject(tagsRaw)) for (const [k, t] of Object.entries(tagsRaw)) if (typeof t === 'string') tags[k] = t;
  const pinsRaw = goField(v, 'pins');
  const root = goField(v, 'rootEntry');
  return {
    id,
    source: { host: str(src, 'host', id), userName: str(src, 'userName', id), path: str(src, 'path', id) },
    description: str(v, 'description', id),
    startTime: time(v, 'startTime', id),
    endTime: time(v, 'endTime', id),
    stats: stats as unknown as SnapshotStats,
    incomplete: str(v, 'incomplete', id),
    rootEntry: root === undefined || root === null ? undefined : decodeDirEntry(root, `snapshot manifest ${id} root entry`),
    tags,
    pins: Array.isArray(pinsRaw) ? pinsRaw.filter((p): p is string => typeof p === 'string') : [],
  };
}

/** Kopia's sourceInfoToLabels: type, hostname, and username/path when non-empty. */
export function sourceLabels(si: SourceInfo): Record<string, string> {
  const labels: Record<string, string> = { [TYPE_LABEL]: SNAPSHOT_MANIFEST_TYPE, [HOSTNAME_LABEL]: si.host };
  if (si.userName !== '') labels[USERNAME_LABEL] = si.userName;
  if (si.path !== '') labels[PATH_LABEL] = si.path;
  return labels;
}

/** Labels of a snapshot manifest: the source labels plus the tags (a tag may not shadow a source label). */
export function snapshotLabels(m: Pick<SnapshotManifest, 'source' | 'tags'>): Labels {
  const labels = sourceLabels(m.source);
  for (const [k, v] of Object.entries(m.tags ?? {})) {
    if (k in labels) {
      throw new UsageError(`snapshot tag "${k}" collides with a built-in manifest label`, {
        hint: 'Tag keys must start with "tag:" (for example tag:env=prod).',
      });
    }
    labels[k] = v;
  }
  return labels;
}

export function sourceFromLabels(labels: Labels): SourceInfo {
  return { host: labels[HOSTNAME_LABEL] ?? '', userName: labels[USERNAME_LABEL] ?? '', path: labels[PATH_LABEL] ?? '' };
}

/** startTime in ns (for ordering). */
export function snapshotStartNs(m: Pick<SnapshotManifest, 'startTime'>): bigint {
  return parseRfc3339Nano(m.startTime, 'startTime');
}
