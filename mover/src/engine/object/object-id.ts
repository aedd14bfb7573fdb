// Object IDs (kopia repo/object/objectid.go): "I" × indirection ‖ optional legacy "Z" (object-level
// compression, index v1 repositories; never together with "I") ‖ optional legacy no-op "D" ‖ content ID.
// A content ID is an optional prefix letter g..z followed by 1..32 bytes of hex; hex is normalized to lower
// case, as kopia re-encodes it. The empty string is kopia's EmptyID (no object).
import { CorruptionError } from '../errors.ts';

export interface ObjectId {
  /** Levels of indirect (index) objects above the content. */
  readonly indirection: number;
  /** Legacy "Z": the content holds `headerId(4) ‖ compressed stream`. */
  readonly compressed: boolean;
  readonly contentId: string;
}

const MAX_HASH_BYTES = 32;

function invalid(text: string, why: string): CorruptionError {
  return new CorruptionError(`malformed object ID ${JSON.stringify(text)}: ${why}`, {
    hint: 'the ID comes from a damaged directory listing, manifest or indirect object, or was mistyped',
  });
}

/** Validates and normalizes a content ID (prefix letter kept, hex lower-cased); throws CorruptionError. */
export function normalizeContentId(contentId: string, context: string = contentId): string {
  if (contentId === '') return '';
  const n = contentId.length;
  const start = n % 2; // an odd length has a prefix letter
  if (start === 1) {
    const prefix = contentId[0]!;
    if (prefix < 'g' || prefix > 'z') throw invalid(context, `invalid content prefix ${JSON.stringify(prefix)}`);
  }
  if (n === start) throw invalid(context, 'content hash is empty');
  if (n - start > MAX_HASH_BYTES * 2) throw invalid(context, 'content hash is too long');
  // Checked in place and returned as is when already lower case, as kopia writes them: a restore normalizes
  // every file's object ID, and a regular expression plus a lower-cased copy each was ~1% of its main thread.
  let upper = false;
  for (let i = start; i < n; i++) {
    const c = contentId.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) continue; // 0-9 a-f
    if (c >= 0x41 && c <= 0x46) upper = true; // A-F
    else throw invalid(context, 'content hash is not hexadecimal');
  }
  return upper ? contentId.slice(0, start) + contentId.slice(start).toLowerCase() : contentId;
}

/** Where the content ID starts after the markers that may follow the indirection ones: 'Z' (compressed), then kopia's legacy 'D'. */
function afterMarkers(text: string, i: number): number {
  if (text.charCodeAt(i) === 0x5a) i++; // Z
  if (text.charCodeAt(i) === 0x44) i++; // D
  return i;
}

export function parseObjectId(text: string): ObjectId {
  let i = 0;
  while (i < text.length && text[i] === 'I') i++;
  const indirection = i;
  const compressed = text[i] === 'Z';
  if (indirection > 0 && compressed) throw invalid(text, 'compression and indirection are mutually exclusive');
  return { indirection, compressed, contentId: normalizeContentId(text.slice(afterMarkers(text, i)), text) };
}

export function formatObjectId(id: ObjectId): string {
  return 'I'.repeat(id.indirection) + (id.compressed ? 'Z' : '') + id.contentId;
}

/** The canonical form of an object ID string (drops "D", lower-cases hex); throws CorruptionError. */
export function normalizeObjectId(text: string): string {
  return formatObjectId(parseObjectId(text));
}

/** The object ID of an object whose index (indirect JSON) is the object `indexObjectId`. */
export function indirectObjectId(indexObjectId: string): string {
  return 'I' + indexObjectId;
}

/** For an indirect object, the object holding its index; undefined for a direct object. */
export function indexObjectIdOf(id: ObjectId): ObjectId | undefined {
  return id.indirection > 0 ? { ...id, indirection: id.indirection - 1 } : undefined;
}

// ---- for the upload pipeline (additive) ----

/**
 * The content ID part of a direct object ID (compressed or not), unvalidated, or undefined for an indirect
 * one. For index probes that reject a malformed ID themselves (content-id.ts tryWriteContentKey): an
 * unchanged backup probes once per file, and parsing each ID first (slices, a regular expression, lower-case
 * copy) was most of that probe's cost.
 */
export function directContentIdOf(text: string): string | undefined {
  if (text.charCodeAt(0) === 0x49) return undefined; // I: indirect
  const start = afterMarkers(text, 0);
  return start === 0 ? text : text.slice(start);
}

/** parseObjectId, or undefined for a malformed ID (e.g. from an old listing a backup only consults). */
export function tryParseObjectId(text: string): ObjectId | undefined {
  try {
    return parseObjectId(text);
  } catch {
    return undefined;
  }
}
