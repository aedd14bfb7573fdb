// Read planning for restore: an object's layout as (file offset, length, content) chunks, resolved from
// its ID and indirect JSON (kopia repo/object/objectid.go, indirect.go), and ranged pack reads that cover
// many contents of one pack with one GET (sorted by offset, small gaps read through, bounded size).
import type { ContentInfo } from '../content/content-info.ts';
import { CorruptionError } from '../errors.ts';
import { parseIndirectObject } from '../object/indirect-object.ts';
import { parseObjectId } from '../object/object-id.ts';
import type { RepositoryReader } from '../repo/repository.ts';

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

type LayoutSource = Pick<RepositoryReader, 'contents' | 'objects'>;

/** Data a snapshot references but the repository lacks is damage (CORRUPT), as `snapshot verify` reports it. */
function missing(where: string, contentId: string): CorruptionError {
  return new CorruptionError(`${where}: content ${contentId} is not in the repository index`, {
    hint: 'The repository is missing data this snapshot needs; run `cairn snapshot verify` to list the affected files.',
  });
}

/**
 * The chunks of an object, or undefined for legacy object-level compression ("Z" IDs) which must be
 * read through the object layer. `where` names the file for error messages.
 */
export async function resolveObjectLayout(repo: LayoutSource, objectId: string, where: string): Promise<ObjectLayout | undefined> {
  if (objectId === '') return { length: 0, chunks: [] };
  const id = parseObjectId(objectId);
  if (id.compressed) return undefined;
  if (id.indirection === 0) {
    const info = repo.contents.contentInfo(id.contentId);
    if (info === undefined) throw missing(where, id.contentId);
    const length = info.originalLength;
    return { length, chunks: length === 0 ? [] : [{ offset: 0, length, contentId: id.contentId }] };
  }
  const inner = 'I'.repeat(id.indirection - 1) + id.contentId;
  let indexBytes: Buffer;
  if (id.indirection === 1) {
    if (repo.contents.contentInfo(id.contentId) === undefined) throw missing(where, id.contentId);
    indexBytes = await repo.contents.getContent(id.contentId);
  } else {
    indexBytes = await (await repo.objects.openObject(inner)).readAll();
  }
  const entries = parseIndirectObject(indexBytes, objectId);
  const chunks: ObjectChunk[] = [];
  let length = 0;
  for (const e of entries) {
    const sub = await resolveObjectLayout(repo, e.objectId, where);
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

export interface PackRange {
  readonly packBlobId: string;
  readonly offset: number;
  readonly length: number;
  /** Contents inside the range, by pack offset. */
  readonly contents: readonly ContentInfo[];
}

export interface RangePlanOptions {
  /** Largest single GET (a content larger than this gets a range of its own). */
  readonly maxRangeBytes: number;
  /** Unneeded bytes between two contents that are read through rather than split into two GETs. */
  readonly maxGapBytes: number;
}

/** Groups contents by pack and coalesces neighbours into ranged reads. */
export function planPackReads(contents: Iterable<ContentInfo>, options: RangePlanOptions): PackRange[] {
  const byPack = new Map<string, ContentInfo[]>();
  for (const c of contents) {
    let list = byPack.get(c.packBlobId);
    if (list === undefined) byPack.set(c.packBlobId, (list = []));
    list.push(c);
  }
  const ranges: PackRange[] = [];
  for (const [packBlobId, list] of byPack) {
    list.sort((a, b) => a.packOffset - b.packOffset);
    let cur: ContentInfo[] = [];
    let start = 0;
    let end = 0;
    const close = (): void => {
      if (cur.length > 0) ranges.push({ packBlobId, offset: start, length: end - start, contents: cur });
      cur = [];
    };
    for (const c of list) {
      const cEnd = c.packOffset + c.packedLength;
      if (cur.length > 0 && (c.packOffset - end > options.maxGapBytes || cEnd - start > options.maxRangeBytes)) close();
      if (cur.length === 0) {
        start = c.packOffset;
        end = cEnd;
      } else {
        end = Math.max(end, cEnd);
      }
      cur.push(c);
    }
    close();
  }
  return ranges;
}
