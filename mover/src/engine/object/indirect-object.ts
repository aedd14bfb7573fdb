// The index of an indirect object (kopia repo/object/indirect.go, object_writer.go writeIndirectObject):
//   {"stream":"kopia:indirect","entries":[{"l":1698099,"o":"…"},{"s":1698099,"l":1302081,"o":"…"}]}\n
// exactly as Go's json.Encoder writes it: `s` and `l` are omitted when 0, `o` is a canonical object ID.
import { CorruptionError } from '../errors.ts';
import { normalizeObjectId } from './object-id.ts';
import type { IndirectEntry } from './object-store.ts';

export const INDIRECT_STREAM_ID = 'kopia:indirect';

export type { IndirectEntry };

/** The indirect JSON bytes for `entries`, byte-identical to kopia's. */
export function buildIndirectObject(entries: readonly IndirectEntry[]): Buffer {
  const parts: string[] = [];
  for (const e of entries) {
    let s = '{';
    if (e.start !== 0) s += `"s":${e.start},`;
    if (e.length !== 0) s += `"l":${e.length},`;
    s += `"o":"${normalizeObjectId(e.objectId)}"}`;
    parts.push(s);
  }
  return Buffer.from(`{"stream":"${INDIRECT_STREAM_ID}","entries":[${parts.join(',')}]}\n`, 'utf8');
}

/** Entries for consecutive parts of the given lengths (a parallel uploader's chunk list). */
export function entriesFromChunks(chunks: readonly { readonly length: number; readonly objectId: string }[]): IndirectEntry[] {
  const entries: IndirectEntry[] = [];
  let start = 0;
  for (const c of chunks) {
    entries.push({ start, length: c.length, objectId: c.objectId });
    start += c.length;
  }
  return entries;
}

/** Go's decoder matches keys exactly first, then case-insensitively. */
function field(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key];
  for (const k of Object.keys(obj)) if (k.toLowerCase() === key) return obj[k];
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and checks an index: entries must be contiguous from offset 0 (what kopia's seek table
 * assumes). `where` names the index object in error messages.
 */
export function parseIndirectObject(data: Uint8Array, where: string): IndirectEntry[] {
  const bad = (why: string, cause?: unknown): CorruptionError =>
    new CorruptionError(`invalid indirect object ${where}: ${why}`, {
      hint: 'the index content of a large file or directory is damaged; `cairn snapshot verify` lists the affected files',
      cause,
    });
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (e) {
    throw bad('not valid JSON', e);
  }
  if (!isRecord(doc)) throw bad('not a JSON object');
  const list = field(doc, 'entries');
  if (!Array.isArray(list) || list.length === 0) throw bad('no entries');
  const entries: IndirectEntry[] = new Array<IndirectEntry>(list.length);
  let expected = 0;
  for (let i = 0; i < list.length; i++) {
    const e: unknown = list[i];
    if (!isRecord(e)) throw bad(`entry ${i} is not an object`);
    const s = field(e, 's') ?? 0;
    const l = field(e, 'l') ?? 0;
    const o = field(e, 'o');
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw bad(`entry ${i} has an invalid start`);
    if (typeof l !== 'number' || !Number.isSafeInteger(l) || l < 0) throw bad(`entry ${i} has an invalid length`);
    if (typeof o !== 'string' || o === '') throw bad(`entry ${i} has no object ID`);
    if (s !== expected) throw bad(`entry ${i} starts at ${s}, expected ${expected}`);
    let objectId: string;
    try {
      objectId = normalizeObjectId(o);
    } catch (err) {
      throw bad(`entry ${i} has a malformed object ID ${JSON.stringify(o)}`, err);
    }
    entries[i] = { start: s, length: l, objectId };
    expected = s + l;
  }
  return entries;
}
