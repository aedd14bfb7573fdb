// An object's layout: the (object offset, length, content) chunks its bytes are made of, resolved from its
// ID and indirect index objects (kopia repo/object/objectid.go, indirect.go). Readers that fetch many
// objects at once (restore) plan their pack reads from layouts instead of reading objects one by one.
import type { ContentInfo } from '../content/content-info.ts';
import { CorruptionError } from '../errors.ts';
import { parseObjectId } from './object-id.ts';
import { loadIndirectEntries, type ObjectContentReader } from './object-reader.ts';

export interface ObjectChunk {
  /** Offset of the chunk in the object. */
  readonly offset: number;
  readonly length: number;
  readonly contentId: string;
}

export interface ObjectLayout {
  readonly length: number;
  readonly chunks: readonly ObjectChunk[];
}

/** The content calls resolving a layout needs. */
export interface LayoutContents extends ObjectContentReader {
  contentInfo(contentId: string): ContentInfo | undefined;
}

/** Data an object references but the repository lacks is damage (CORRUPT), as `snapshot verify` reports it. */
function missing(where: string, contentId: string): CorruptionError {
  return new CorruptionError(`${where}: content ${contentId} is not in the repository index`, {
    hint: 'The repository is missing data this snapshot needs; run `cairn snapshot verify` to list the affected files.',
  });
}

/**
 * The chunks of an object, or undefined for legacy object-level compression ("Z" IDs), which must be read
 * through the object reader. `where` names the object's user (a file) in error messages.
 */
export async function resolveObjectLayout(contents: LayoutContents, objectId: string, where: string): Promise<ObjectLayout | undefined> {
  if (objectId === '') return { length: 0, chunks: [] };
  const id = parseObjectId(objectId);
  if (id.compressed) return undefined;
  if (id.indirection === 0) {
    const info = contents.contentInfo(id.contentId);
    if (info === undefined) throw missing(where, id.contentId);
    const length = info.originalLength;
    return { length, chunks: length === 0 ? [] : [{ offset: 0, length, contentId: id.contentId }] };
  }
  // The innermost index content: without it the seek table cannot be read at all.
  if (contents.contentInfo(id.contentId) === undefined) throw missing(where, id.contentId);
  const chunks: ObjectChunk[] = [];
  let length = 0;
  for (const e of await loadIndirectEntries(contents, id)) {
    const sub = await resolveObjectLayout(contents, e.objectId, where);
    if (sub === undefined) return undefined;
    if (sub.length !== e.length) {
      throw new CorruptionError(`${where}: part ${e.objectId} of object ${objectId} has ${sub.length} bytes, the index says ${e.length}`, {
        hint: 'The object index is damaged; run `cairn snapshot verify`.',
      });
    }
    for (const c of sub.chunks) chunks.push({ offset: e.start + c.offset, length: c.length, contentId: c.contentId });
    length = e.start + e.length;
  }
  return { length, chunks };
}
