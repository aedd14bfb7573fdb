// Snapshot layer: snapshot manifests, directory listings, upload, restore and verify on top of a
// RepositoryReader/Writer. Guarantees: listings and manifests use kopia's JSON schemas byte for byte
// (directories first, UTF-8 name order, Go escaping), modes use Go FileMode bits, timestamps keep ns.
// Kopia sources: snapshot/{manifest,manager,source,stats}.go, snapshot/snapshotfs/{dir_manifest_builder,
// dir_reader}.go, fs/{entry,utc_timestamp}.go, snapshot/restore/*.go, cli/command_snapshot_verify.go.
//
// This module: find, load, save, delete and resolve snapshot manifests (kopia snapshot/manager.go).
import type { ManifestStore } from '../manifest/manifest-store.ts';
import { isCairnError, NotFoundError, UsageError } from '../errors.ts';
import {
  SNAPSHOT_MANIFEST_TYPE,
  snapshotLabels,
  snapshotManifestFromJson,
  snapshotManifestToJson,
  snapshotStartNs,
  sourceLabels,
  sourceFromLabels,
  TYPE_LABEL,
} from './snapshot-manifest.ts';
import type { SnapshotManifest } from './snapshot-manifest.ts';
import { parseRfc3339Nano, tryParseRfc3339Nano } from './snapshot-json.ts';
import { formatSourceInfo, validateSnapshotSource } from './source-info.ts';
import type { SourceInfo } from './source-info.ts';
import { mapBounded } from '../util/for-each-bounded.ts';

const LOAD_CONCURRENCY = 50;

function isIncomplete(m: SnapshotManifest): boolean {
  return m.incomplete !== undefined && m.incomplete !== '';
}

/** Oldest first by startTime, endTime breaking ties (kopia SortByTime). */
export function sortSnapshots(list: readonly SnapshotManifest[]): SnapshotManifest[] {
  const keyed = list.map((m) => ({ m, s: snapshotStartNs(m), e: parseRfc3339Nano(m.endTime, 'endTime') }));
  keyed.sort((a, b) => (a.s !== b.s ? (a.s < b.s ? -1 : 1) : a.e < b.e ? -1 : a.e > b.e ? 1 : 0));
  return keyed.map((k) => k.m);
}

/** Loads one snapshot manifest; NotFoundError when the ID is unknown or is not a snapshot. */
export async function loadSnapshot(manifests: ManifestStore, id: string): Promise<SnapshotManifest> {
  let entry;
  try {
    entry = await manifests.get<unknown>(id);
  } catch (e) {
    if (isCairnError(e) && e.code === 'NOT_FOUND') {
      throw new NotFoundError(`snapshot ${id} not found`, {
        cause: e,
        hint: 'List snapshots with `cairn snapshot list` and pass one of the IDs shown.',
      });
    }
    throw e;
  }
  if (entry.labels[TYPE_LABEL] !== SNAPSHOT_MANIFEST_TYPE) {
    throw new NotFoundError(`manifest ${id} is not a snapshot (type "${entry.labels[TYPE_LABEL] ?? ''}")`, {
      hint: 'List snapshots with `cairn snapshot list` and pass one of the IDs shown.',
    });
  }
  return snapshotManifestFromJson(entry.payload, id);
}

function loadMany(manifests: ManifestStore, ids: readonly string[]): Promise<SnapshotManifest[]> {
  return mapBounded(ids, LOAD_CONCURRENCY, (id) => loadSnapshot(manifests, id));
}

/** Snapshots of one source (or of all sources), oldest first. */
export async function listSnapshots(manifests: ManifestStore, source?: SourceInfo): Promise<SnapshotManifest[]> {
  const labels = source === undefined ? { [TYPE_LABEL]: SNAPSHOT_MANIFEST_TYPE } : sourceLabels(source);
  const found = await manifests.find(labels);
  return sortSnapshots(await loadMany(manifests, found.map((f) => f.id)));
}

/** Distinct sources that have snapshots, sorted by their `user@host:/path` text. */
export async function listSources(manifests: ManifestStore): Promise<SourceInfo[]> {
  const found = await manifests.find({ [TYPE_LABEL]: SNAPSHOT_MANIFEST_TYPE });
  const uniq = new Map<string, SourceInfo>();
  for (const f of found) {
    const si = sourceFromLabels(f.labels);
    uniq.set(formatSourceInfo(si), si);
  }
  return [...uniq.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

/** Writes a snapshot manifest (at the store's next flush); returns the new manifest ID. */
export async function saveSnapshot(manifests: ManifestStore, manifest: SnapshotManifest): Promise<string> {
  validateSnapshotSource(manifest.source);
  return manifests.put(snapshotLabels(manifest), snapshotManifestToJson(manifest));
}

/** Deletes a snapshot manifest (checks first that the ID names a snapshot). */
export async function deleteSnapshot(manifests: ManifestStore, id: string): Promise<void> {
  await loadSnapshot(manifests, id);
  await manifests.delete(id);
}

export interface ResolveOptions {
  /** Restrict `latest` and ID prefixes to this source. */
  readonly source?: SourceInfo | undefined;
  /** `latest` means the newest snapshot that started at or before this time. */
  readonly asOf?: Date | string | undefined;
}

function asOfNs(asOf: Date | string): bigint {
  if (asOf instanceof Date) return BigInt(asOf.getTime()) * 1_000_000n;
  const ns = tryParseRfc3339Nano(asOf);
  if (ns === undefined) {
    throw new UsageError(`invalid time ${JSON.stringify(asOf)}`, {
      hint: 'Give times in RFC 3339 form, for example 2025-03-11T10:07:36Z.',
    });
  }
  return ns;
}

/**
 * Resolves what a user typed: `latest` (newest complete snapshot of the source, or of all sources),
 * a full manifest ID, or an unambiguous ID prefix.
 */
export async function resolveSnapshot(
  manifests: ManifestStore,
  ref: string,
  options: ResolveOptions = {},
): Promise<SnapshotManifest> {
  const where = options.source === undefined ? '' : ` of ${formatSourceInfo(options.source)}`;
  const hint = 'List snapshots with `cairn snapshot list` and pass one of the IDs shown, or "latest".';
  if (ref === 'latest') {
    const limit = options.asOf === undefined ? undefined : asOfNs(options.asOf);
    const all = await listSnapshots(manifests, options.source);
    for (let i = all.length - 1; i >= 0; i--) {
      const m = all[i]!;
      if (isIncomplete(m)) continue;
      if (limit !== undefined && snapshotStartNs(m) > limit) continue;
      return m;
    }
    const when = options.asOf === undefined ? '' : ` at or before ${String(options.asOf instanceof Date ? options.asOf.toISOString() : options.asOf)}`;
    throw new NotFoundError(`no complete snapshot${where}${when} (asked for "latest")`, { hint });
  }
  if (ref === '') throw new NotFoundError('empty snapshot ID', { hint });
  const found = await manifests.find({ [TYPE_LABEL]: SNAPSHOT_MANIFEST_TYPE });
  const exact = found.find((f) => f.id === ref);
  let id: string | undefined = exact?.id;
  if (id === undefined) {
    const matches = found.filter((f) => {
      if (!f.id.startsWith(ref)) return false;
      if (options.source === undefined) return true;
      const si = sourceFromLabels(f.labels);
      return si.host === options.source.host && si.userName === options.source.userName && si.path === options.source.path;
    });
    if (matches.length > 1) {
      throw new UsageError(`snapshot ID prefix "${ref}" matches ${matches.length} snapshots${where}`, {
        hint: 'Give more characters of the snapshot ID.',
      });
    }
    id = matches[0]?.id;
  }
  if (id === undefined) throw new NotFoundError(`snapshot "${ref}" not found${where}`, { hint });
  return loadSnapshot(manifests, id);
}

/**
 * Kopia's FindPreviousManifests: the newest complete snapshot of the source (started at or before
 * `noLaterThanNs` when given) followed by the incomplete (checkpoint) snapshots that started after it.
 */
export async function findPreviousSnapshots(
  manifests: ManifestStore,
  source: SourceInfo,
  noLaterThanNs?: bigint,
): Promise<SnapshotManifest[]> {
  const all = (await listSnapshots(manifests, source)).filter(
    (m) => noLaterThanNs === undefined || snapshotStartNs(m) <= noLaterThanNs,
  );
  let complete: SnapshotManifest | undefined;
  for (const m of all) if (!isIncomplete(m)) complete = m; // sorted oldest first
  const after = complete === undefined ? undefined : snapshotStartNs(complete);
  const rest = all.filter((m) => isIncomplete(m) && (after === undefined || snapshotStartNs(m) > after));
  return complete === undefined ? rest : [complete, ...rest];
}

/** The newest complete snapshot of the source (the base for incremental reuse), or undefined. */
export async function findPreviousSnapshot(
  manifests: ManifestStore,
  source: SourceInfo,
): Promise<SnapshotManifest | undefined> {
  const prev = await findPreviousSnapshots(manifests, source);
  return prev[0] !== undefined && !isIncomplete(prev[0]) ? prev[0] : undefined;
}
