// Directory listing objects (kopia snapshot/manifest.go DirManifest, snapshotfs/dir_manifest_builder.go,
// dir_reader.go): `{"stream":"kopia:directory","entries":[…],"summary":{…}}\n`, entries sorted
// directories first, then by name in UTF-8 byte order, so identical directories serialize to identical
// bytes (and dedupe with kopia's own listings).
import { CorruptionError, isCairnError } from '../errors.ts';
import type { ObjectStore } from '../object/object-store.ts';
import {
  decodeDirectorySummary,
  decodeDirEntry,
  encodeDirectorySummary,
  encodeDirEntry,
  MAX_FAILED_ENTRIES_PER_SUMMARY,
} from './dir-entry.ts';
import type { DirectorySummary, DirEntry, EntryWithError } from './dir-entry.ts';
import { compareUtf8 } from '../format/go-json.ts';
import { nameToBytes } from './entry-name.ts';
import { EPOCH_RFC3339, goField, isJsonObject, parseRfc3339Nano } from './snapshot-json.ts';

export const DIRECTORY_STREAM_TYPE = 'kopia:directory';

export interface DirManifest {
  readonly entries: readonly DirEntry[];
  /** Absent only in listings written by very old kopia versions. */
  readonly summary: DirectorySummary | undefined;
}

/** Compares two strings in UTF-8 byte order (Go string order), not JS's UTF-16 order. */
export { compareUtf8 };

/** Kopia's listing order: directories first, then by the name's bytes (UTF-8 order; Go string order). */
export function compareDirEntries(a: DirEntry, b: DirEntry): number {
  const ad = a.type === 'd';
  if (ad !== (b.type === 'd')) return ad ? -1 : 1;
  if (a.name.isWellFormed() && b.name.isWellFormed()) return compareUtf8(a.name, b.name);
  return Buffer.compare(nameToBytes(a.name), nameToBytes(b.name));
}

export interface SummarizeOptions {
  /** The directory's own mtime: maxTime of an empty directory. */
  readonly dirMtime: string;
  /** "" when complete. */
  readonly incomplete?: string;
  /** Entries of this directory that failed (relative paths), with whether the error was ignored. */
  readonly failed?: readonly { readonly path: string; readonly error: string; readonly ignored: boolean }[];
  /**
   * Count the directory's own mtime in maxTime (default false: kopia's builder counts only the entries).
   * Cairn's uploader sets it: `kopia snapshot restore` gives a restored directory its summary's maxTime as
   * mtime (kopia's own snapshots lose a directory's mtime when it is newer than everything in it), so with
   * it kopia restores Cairn's snapshots with their directories' exact times.
   */
  readonly maxTimeIncludesDirMtime?: boolean;
}

/** The summary kopia's DirManifestBuilder computes for a directory with these entries. */
export function summarizeDirectory(entries: readonly DirEntry[], options: SummarizeOptions): DirectorySummary {
  let size = 0;
  let files = 0;
  let symlinks = 0;
  let dirs = 1;
  let numFailed = 0;
  let numIgnoredErrors = 0;
  let max = EPOCH_RFC3339; // kopia starts MaxModTime at the zero UTCTimestamp (the Unix epoch)
  const errors: EntryWithError[] = [];
  let maxCanonical = true;
  const bump = (t: string): void => {
    const canonical = CANONICAL_UTC.test(t);
    if (canonical && maxCanonical ? isLaterCanonical(t, max) : parseRfc3339Nano(t, 'mtime') > parseRfc3339Nano(max, 'mtime')) {
      max = t;
      maxCanonical = canonical;
    }
  };
  for (const e of entries) {
    bump(e.mtime);
    if (e.type === 's') symlinks++;
    else if (e.type === 'f') {
      files++;
      size += e.size;
    } else if (e.type === 'd' && e.summ !== undefined) {
      files += e.summ.files;
      size += e.summ.size;
      dirs += e.summ.dirs;
      symlinks += e.summ.symlinks;
      numFailed += e.summ.numFailed;
      numIgnoredErrors += e.summ.numIgnoredErrors ?? 0;
      if (e.summ.errors !== undefined) errors.push(...e.summ.errors);
      bump(e.summ.maxTime);
    }
  }
  for (const f of options.failed ?? []) {
    if (f.ignored) numIgnoredErrors++;
    else numFailed++;
    errors.push({ path: f.path, error: f.error });
  }
  errors.sort((a, b) => compareUtf8(a.path, b.path));
  if (entries.length === 0) max = options.dirMtime;
  else if (options.maxTimeIncludesDirMtime === true) bump(options.dirMtime);
  return {
    size,
    files,
    symlinks,
    dirs,
    maxTime: max,
    incomplete: options.incomplete ?? '',
    numFailed,
    numIgnoredErrors,
    errors: errors.slice(0, MAX_FAILED_ENTRIES_PER_SUMMARY),
  };
}

/** UTC RFC 3339 with 0..9 fraction digits, as mtimeFromNs writes it: comparable without parsing. */
const CANONICAL_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/;

/**
 * Whether canonical time text `a` is a later instant than `b`. The summary of every directory compares each
 * entry's time, so the common canonical form is compared as text (seconds, then the fraction padded to 9
 * digits) instead of parsed; anything else (offsets, years beyond 9999) is parsed by the caller.
 */
function isLaterCanonical(a: string, b: string): boolean {
  for (let i = 0; i < 19; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d > 0;
  }
  const fa = a.length > 20 ? a.slice(20, -1).padEnd(9, '0') : '000000000';
  const fb = b.length > 20 ? b.slice(20, -1).padEnd(9, '0') : '000000000';
  return fa > fb;
}

/** Serializes a listing exactly as kopia does (sorted copy of the entries, Go escaping, trailing newline). */
export function encodeDirManifest(entries: readonly DirEntry[], summary: DirectorySummary | undefined): Buffer {
  const sorted = [...entries].sort(compareDirEntries);
  const body = sorted.map(encodeDirEntry).join(',');
  const summ = summary === undefined ? 'null' : encodeDirectorySummary(summary);
  return Buffer.from(`{"stream":"${DIRECTORY_STREAM_TYPE}","entries":[${body}],"summary":${summ}}\n`, 'utf8');
}

/** Parses a listing; CorruptionError naming `objectId` when it is not a kopia directory stream. */
export function decodeDirManifest(bytes: Uint8Array, objectId: string): DirManifest {
  const where = `directory object ${objectId}`;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (cause) {
    throw new CorruptionError(`${where}: not valid JSON`, {
      cause,
      hint: 'The directory metadata is damaged; run `cairn snapshot verify` to find the affected snapshots.',
    });
  }
  if (!isJsonObject(v) || goField(v, 'stream') !== DIRECTORY_STREAM_TYPE) {
    throw new CorruptionError(`${where}: not a directory listing (stream type is not "${DIRECTORY_STREAM_TYPE}")`, {
      hint: 'The object ID does not name a directory; check the snapshot or path you asked for.',
    });
  }
  const raw = goField(v, 'entries');
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) {
    throw new CorruptionError(`${where}: "entries" is not an array`, {
      hint: 'The directory metadata is damaged; run `cairn snapshot verify` to find the affected snapshots.',
    });
  }
  const entries = Array.isArray(raw) ? raw.map((e) => decodeDirEntry(e, where)) : [];
  // a directory cannot hold two entries of one name; a listing that does is forged or damaged, and a
  // restore could only write one of them (which one would depend on timing)
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) {
      throw new CorruptionError(`${where}: the name ${JSON.stringify(e.name)} appears more than once`, {
        hint: 'The directory metadata is damaged or forged; run `cairn snapshot verify` to find the affected snapshots.',
      });
    }
    names.add(e.name);
  }
  const s = goField(v, 'summary');
  return { entries, summary: s === undefined || s === null ? undefined : decodeDirectorySummary(s, where) };
}

/**
 * Reads and parses the listing a snapshot references. A listing missing from the repository is damage to
 * the snapshot (CORRUPT, as verify reports it), not a "not found" about something the user asked for.
 */
export async function readDirManifest(objects: Pick<ObjectStore, 'openObject'>, objectId: string): Promise<DirManifest> {
  let bytes: Uint8Array;
  try {
    bytes = await (await objects.openObject(objectId)).readAll();
  } catch (e) {
    if (!isCairnError(e) || e.code !== 'NOT_FOUND') throw e;
    throw new CorruptionError(`directory object ${objectId} is missing from the repository: ${e.message}`, {
      cause: e, hint: 'The snapshot references a listing the repository lacks; run `cairn snapshot verify` to find the affected snapshots.',
    });
  }
  return decodeDirManifest(bytes, objectId);
}
