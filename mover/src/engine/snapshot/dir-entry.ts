// One entry of a kopia directory listing (snapshot/manifest.go DirEntry) and the directory summary
// (fs/entry.go DirectorySummary), with kopia's exact JSON keys, key order and omitempty rules.
// Field names mirror the JSON keys. `mode` holds POSIX bits (0..0o7777); `mtime` is kopia's canonical
// RFC3339Nano UTC text (ns precision; compare as strings or convert with mtimeToNs). A `name` may hold
// lone surrogates: the escapes of bytes that are not UTF-8 (entry-name.ts), written as `\udcXX`.
import { CorruptionError } from '../errors.ts';
import { formatKopiaMode, parseKopiaMode } from './file-mode.ts';
import {
  canonicalRfc3339,
  EPOCH_RFC3339,
  fieldReader,
  type FieldReader,
  formatRfc3339Nano,
  goField,
  goJsonCompact,
  goJsonString,
  isJsonObject,
  parseRfc3339Nano,
} from './snapshot-json.ts';

/** `f` file, `d` directory, `s` symlink, `""` unknown (kopia EntryType). */
export type EntryType = 'f' | 'd' | 's' | '';

export interface EntryWithError {
  readonly path: string;
  readonly error: string;
}

export interface DirectorySummary {
  /** Total bytes of files below (recursively). */
  readonly size: number;
  readonly files: number;
  readonly symlinks: number;
  /** Directories below, including this one. */
  readonly dirs: number;
  readonly maxTime: string;
  /** Absent or "" when complete (omitted from JSON). Decoded summaries always carry it. */
  readonly incomplete?: string | undefined;
  readonly numFailed: number;
  /** Absent = 0 (omitted from JSON when 0). */
  readonly numIgnoredErrors?: number | undefined;
  /** At most 10 (kopia MaxFailedEntriesPerDirectorySummary); absent = none. */
  readonly errors?: readonly EntryWithError[] | undefined;
}

export interface DirEntry {
  readonly name: string;
  readonly type: EntryType;
  /** POSIX permission bits incl. setuid/setgid/sticky (0..0o7777). */
  readonly mode: number;
  readonly size: number;
  /** RFC3339Nano UTC; EPOCH_RFC3339 when kopia omitted it. */
  readonly mtime: string;
  readonly uid: number;
  readonly gid: number;
  /** File contents, symlink target or directory listing object ID. */
  readonly obj: string;
  /** Only for directories. */
  readonly summ?: DirectorySummary | undefined;
}

export const MAX_FAILED_ENTRIES_PER_SUMMARY = 10;

/** fs.Stats mode (st_mode) -> DirEntry.mode (permission bits incl. setuid/setgid/sticky). */
export function modeFromStat(stMode: number | bigint): number {
  return Number(stMode) & 0o7777;
}

/** ns since epoch -> DirEntry mtime text. */
export function mtimeFromNs(ns: bigint): string {
  return formatRfc3339Nano(ns);
}

/** DirEntry mtime text -> ns since epoch. */
export function mtimeToNs(mtime: string): bigint {
  return parseRfc3339Nano(mtime, 'mtime');
}

/** Go's encoding of a DirectorySummary (no trailing newline). */
export function encodeDirectorySummary(s: DirectorySummary): string {
  let out = `{"size":${s.size},"files":${s.files},"symlinks":${s.symlinks},"dirs":${s.dirs},"maxTime":${goJsonString(s.maxTime)}`;
  if (s.incomplete !== undefined && s.incomplete !== '') out += `,"incomplete":${goJsonString(s.incomplete)}`;
  out += `,"numFailed":${s.numFailed}`;
  if (s.numIgnoredErrors !== undefined && s.numIgnoredErrors !== 0) out += `,"numIgnoredErrors":${s.numIgnoredErrors}`;
  if (s.errors !== undefined && s.errors.length > 0) {
    out += ',"errors":[' + s.errors.map((e) => `{"path":${goJsonString(e.path)},"error":${goJsonString(e.error)}}`).join(',') + ']';
  }
  return out + '}';
}

/**
 * A name as JSON: Go's escaping, except that lone surrogates (escaped non-UTF-8 bytes) stay `\udcXX`
 * escapes instead of becoming U+FFFD, so the original bytes come back (JSON.stringify writes them so).
 */
function goJsonName(name: string): string {
  return name.isWellFormed() ? goJsonString(name) : goJsonCompact(JSON.stringify(name));
}

/** Go's encoding of a DirEntry (no trailing newline); omitempty fields are left out when zero. */
export function encodeDirEntry(e: DirEntry): string {
  const parts: string[] = [];
  if (e.name !== '') parts.push(`"name":${goJsonName(e.name)}`);
  if (e.type !== '') parts.push(`"type":"${e.type}"`);
  const mode = formatKopiaMode(e.mode);
  if (mode !== '') parts.push(`"mode":"${mode}"`);
  if (e.size !== 0) parts.push(`"size":${e.size}`);
  if (e.mtime !== EPOCH_RFC3339) parts.push(`"mtime":${goJsonString(e.mtime)}`);
  if (e.uid !== 0) parts.push(`"uid":${e.uid}`);
  if (e.gid !== 0) parts.push(`"gid":${e.gid}`);
  parts.push(`"obj":${goJsonString(e.obj)}`);
  if (e.summ !== undefined) parts.push(`"summ":${encodeDirectorySummary(e.summ)}`);
  return '{' + parts.join(',') + '}';
}

/** The JSON value of an entry as a plain object in kopia's key order (for embedding in manifests). */
export function dirEntryToJson(e: DirEntry): Record<string, unknown> {
  return JSON.parse(encodeDirEntry(e)) as Record<string, unknown>;
}

function corrupt(where: string, what: string): CorruptionError {
  return new CorruptionError(`${where}: ${what}`, {
    hint: 'The directory metadata is damaged; run `cairn snapshot verify` to find the affected snapshots.',
  });
}

const ENTRY_KEYS: ReadonlySet<string> = new Set(['name', 'type', 'mode', 'size', 'mtime', 'uid', 'gid', 'obj', 'summ']);
const SUMMARY_KEYS: ReadonlySet<string> = new Set(['size', 'files', 'symlinks', 'dirs', 'maxTime', 'incomplete', 'numFailed', 'numIgnoredErrors', 'errors']);

function num(obj: Readonly<Record<string, unknown>>, key: string, where: string, get: FieldReader = goField): number {
  const v = get(obj, key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw corrupt(where, `field "${key}" is not a number`);
  return v;
}

function str(obj: Readonly<Record<string, unknown>>, key: string, where: string, get: FieldReader = goField): string {
  const v = get(obj, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw corrupt(where, `field "${key}" is not a string`);
  return v;
}

function time(obj: Readonly<Record<string, unknown>>, key: string, where: string, get: FieldReader = goField): string {
  const v = get(obj, key);
  if (v === undefined || v === null) return EPOCH_RFC3339;
  if (typeof v !== 'string') throw corrupt(where, `field "${key}" is not a timestamp`);
  return canonicalRfc3339(v, `${where}: field "${key}"`);
}

/** Parses a DirectorySummary JSON value; `where` names the object for error messages. */
export function decodeDirectorySummary(v: unknown, where: string): DirectorySummary {
  if (!isJsonObject(v)) throw corrupt(where, 'directory summary is not an object');
  const get = fieldReader(v, SUMMARY_KEYS);
  const errs = get(v, 'errors');
  const errors: EntryWithError[] = [];
  if (Array.isArray(errs)) {
    for (const e of errs) {
      if (isJsonObject(e)) errors.push({ path: str(e, 'path', where), error: str(e, 'error', where) });
    }
  }
  return {
    size: num(v, 'size', where, get),
    files: num(v, 'files', where, get),
    symlinks: num(v, 'symlinks', where, get),
    dirs: num(v, 'dirs', where, get),
    maxTime: time(v, 'maxTime', where, get),
    incomplete: str(v, 'incomplete', where, get),
    numFailed: num(v, 'numFailed', where, get),
    numIgnoredErrors: num(v, 'numIgnoredErrors', where, get),
    errors,
  };
}

/** Parses a DirEntry JSON value leniently as Go does (case-insensitive keys, unknown keys ignored). */
export function decodeDirEntry(v: unknown, where: string): DirEntry {
  if (!isJsonObject(v)) throw corrupt(where, 'directory entry is not an object');
  const get = fieldReader(v, ENTRY_KEYS);
  const name = str(v, 'name', where, get);
  const at = name === '' ? where : `${where} entry ${JSON.stringify(name)}`;
  const t = str(v, 'type', at, get);
  const type: EntryType = t === 'f' || t === 'd' || t === 's' ? t : '';
  const modeText = str(v, 'mode', at, get);
  let mode = 0;
  if (modeText !== '') {
    const m = parseKopiaMode(modeText);
    if (m === undefined) throw corrupt(at, `invalid mode ${JSON.stringify(modeText)}`);
    mode = m;
  }
  const summRaw = get(v, 'summ');
  return {
    name,
    type,
    mode,
    size: num(v, 'size', at, get),
    mtime: time(v, 'mtime', at, get),
    uid: num(v, 'uid', at, get),
    gid: num(v, 'gid', at, get),
    obj: str(v, 'obj', at, get),
    summ: summRaw === undefined || summRaw === null ? undefined : decodeDirectorySummary(summRaw, at),
  };
}
