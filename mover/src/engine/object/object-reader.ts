// Seekable readers over objects (kopia repo/object/object_reader.go). A direct object is one content; an
// indirect object ("I…") is described by an index object whose JSON lists its parts; reads binary-search
// that seek table. Unlike kopia (one chunk at a time, issue #5113), sequential reads and stream() fetch the
// next chunks ahead, several at once.
import { CorruptionError, NotFoundError, isCairnError } from '../errors.ts';
import type { ObjectReader } from './object-store.ts';
import type { IndirectEntry } from './indirect-object.ts';
import { parseIndirectObject } from './indirect-object.ts';
import type { ObjectId } from './object-id.ts';
import { formatObjectId, indexObjectIdOf, parseObjectId } from './object-id.ts';
import { decompressLegacyObject } from './legacy-decompress.ts';

/** The content-layer calls reading needs (a subset of ContentReader). */
export interface ObjectContentReader {
  getContent(contentId: string): Promise<Buffer>;
}

export interface ObjectReadOptions {
  /** Chunks fetched ahead of a sequential reader (and concurrently by stream()); default 4. */
  readonly readAheadChunks?: number;
}

export const DEFAULT_READ_AHEAD_CHUNKS = 4;
const EMPTY = Buffer.alloc(0);

function lengthMismatch(objectId: string, actual: number, expected: number): CorruptionError {
  return new CorruptionError(`object ${objectId} has ${actual} bytes but its index entry says ${expected}`, {
    hint: 'the content does not match the indirect object that references it; `cairn snapshot verify` lists the affected files',
  });
}

async function readDirect(contents: ObjectContentReader, id: ObjectId, expectedLength: number | undefined): Promise<Buffer> {
  const text = formatObjectId(id);
  if (id.contentId === '') throw new NotFoundError('the empty object ID names no object', { hint: 'the referencing entry is incomplete' });
  let data: Buffer;
  try {
    data = await contents.getContent(id.contentId);
  } catch (e) {
    if (isCairnError(e) && e.code === 'NOT_FOUND') {
      throw new NotFoundError(`object ${text}: content ${id.contentId} not found`, {
        hint: 'the repository is missing data this object needs; `cairn snapshot verify` lists the affected files', cause: e,
      });
    }
    throw e;
  }
  if (id.compressed) data = decompressLegacyObject(data, expectedLength);
  if (expectedLength !== undefined && data.length !== expectedLength) throw lengthMismatch(text, data.length, expectedLength);
  return data;
}

/** Whole bytes of an object (direct or indirect), checked against `expectedLength` when given. */
export async function readWholeObject(contents: ObjectContentReader, id: ObjectId, expectedLength: number | undefined,
  options: ObjectReadOptions = {}): Promise<Buffer> {
  if (id.indirection === 0) return readDirect(contents, id, expectedLength);
  const reader = await openIndirect(contents, id, options);
  if (expectedLength !== undefined && reader.length !== expectedLength) {
    throw lengthMismatch(formatObjectId(id), reader.length, expectedLength);
  }
  return reader.readAll();
}

/** The seek table of an indirect object `id` (reads and parses its index object). */
export async function loadIndirectEntries(contents: ObjectContentReader, id: ObjectId, options: ObjectReadOptions = {}): Promise<IndirectEntry[]> {
  const index = indexObjectIdOf(id);
  if (index === undefined) throw new RangeError(`object ${formatObjectId(id)} is not indirect`);
  const json = await readWholeObject(contents, index, undefined, options);
  return parseIndirectObject(json, formatObjectId(index));
}

async function openIndirect(contents: ObjectContentReader, id: ObjectId, options: ObjectReadOptions): Promise<IndirectObjectReader> {
  const entries = await loadIndirectEntries(contents, id, options);
  return new IndirectObjectReader(contents, formatObjectId(id), entries, options);
}

/** Opens an object for reading. NotFoundError when a content is missing, CorruptionError when malformed. */
export async function openObject(contents: ObjectContentReader, objectId: string, options: ObjectReadOptions = {}): Promise<ObjectReader> {
  const id = parseObjectId(objectId);
  if (id.indirection > 0) return openIndirect(contents, id, options);
  return new BufferObjectReader(await readDirect(contents, id, undefined));
}

function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`invalid object read at ${offset} of ${length} bytes`);
  }
}

/** A whole object in memory (a direct object). Returned buffers are views: do not modify them. */
export class BufferObjectReader implements ObjectReader {
  readonly length: number;
  private readonly data: Buffer;

  constructor(data: Buffer) {
    this.data = data;
    this.length = data.length;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(offset, length);
    return this.data.subarray(Math.min(offset, this.length), Math.min(offset + length, this.length));
  }

  async readAll(): Promise<Buffer> {
    return this.data;
  }

  async *stream(offset = 0, end = this.length): AsyncIterable<Buffer> {
    checkRange(offset, end - offset);
    if (offset < Math.min(end, this.length)) yield this.data.subarray(offset, Math.min(end, this.length));
  }
}

/** An object made of parts listed in a seek table. Returned buffers are views: do not modify them. */
export class IndirectObjectReader implements ObjectReader {
  readonly length: number;
  readonly objectId: string;
  private readonly contents: ObjectContentReader;
  private readonly entries: readonly IndirectEntry[];
  private readonly readAhead: number;
  private readonly cache = new Map<number, Promise<Buffer>>();
  private nextOffset = 0;

  constructor(contents: ObjectContentReader, objectId: string, entries: readonly IndirectEntry[], options: ObjectReadOptions = {}) {
    if (entries.length === 0) throw new CorruptionError(`indirect object ${objectId} has no entries`, { hint: 'the index content of a large file or directory is damaged; `cairn snapshot verify` lists the affected files' });
    this.contents = contents;
    this.objectId = objectId;
    this.entries = entries;
    const last = entries[entries.length - 1]!;
    this.length = last.start + last.length;
    this.readAhead = Math.max(0, options.readAheadChunks ?? DEFAULT_READ_AHEAD_CHUNKS);
  }

  /** The seek table (for planners that read parts themselves). */
  get parts(): readonly IndirectEntry[] {
    return this.entries;
  }

  /** Index of the entry containing `offset` (0 <= offset < length). */
  chunkIndexAt(offset: number): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.entries[mid]!;
      if (offset < e.start) hi = mid - 1;
      else if (offset >= e.start + e.length) lo = mid + 1;
      else return mid;
    }
    throw new RangeError(`offset ${offset} is outside object ${this.objectId} of ${this.length} bytes`);
  }

  private fetch(index: number): Promise<Buffer> {
    const e = this.entries[index]!;
    const p = readWholeObject(this.contents, parseObjectId(e.objectId), e.length, { readAheadChunks: this.readAhead });
    p.catch(() => undefined); // a prefetch nobody awaits must not become an unhandled rejection
    return p;
  }

  private chunk(index: number): Promise<Buffer> {
    let p = this.cache.get(index);
    if (p === undefined) {
      p = this.fetch(index);
      this.cache.set(index, p);
      p.catch(() => {
        if (this.cache.get(index) === p) this.cache.delete(index); // a failed fetch is retried by the next read
      });
    }
    return p;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(offset, length);
    const end = Math.min(offset + length, this.length);
    if (offset >= end) return EMPTY;
    const first = this.chunkIndexAt(offset);
    const last = this.chunkIndexAt(end - 1);
    const sequential = offset > 0 && offset === this.nextOffset;
    this.nextOffset = end;
    this.evict(first, last);
    const lastAhead = Math.min(sequential ? last + this.readAhead : last, this.entries.length - 1);
    if (first === last) {
      const wanted = this.chunk(first);
      for (let j = first + 1; j <= lastAhead; j++) void this.chunk(j);
      const s = this.entries[first]!.start;
      return (await wanted).subarray(offset - s, end - s);
    }
    // Long reads fetch at most 1 + readAhead chunks at a time, in order.
    const out = Buffer.allocUnsafe(end - offset);
    let pos = 0;
    for (let i = first; i <= last; i++) {
      const wanted = this.chunk(i);
      for (let j = i + 1; j <= Math.min(i + this.readAhead, lastAhead); j++) void this.chunk(j);
      const data = await wanted;
      const e = this.entries[i]!;
      pos += data.copy(out, pos, Math.max(offset, e.start) - e.start, Math.min(end, e.start + e.length) - e.start);
      if (i < last) this.cache.delete(i);
    }
    for (let j = last + 1; j <= lastAhead; j++) void this.chunk(j);
    return out;
  }

  /** Keeps the chunks just read and those ahead of them; drops the rest. */
  private evict(first: number, last: number): void {
    for (const i of this.cache.keys()) {
      if (i < first || i > last + this.readAhead) this.cache.delete(i);
    }
  }

  async readAll(): Promise<Buffer> {
    const out = Buffer.allocUnsafe(this.length);
    let pos = 0;
    for await (const part of this.stream()) pos += part.copy(out, pos);
    return out;
  }

  /** Yields the bytes of [offset, end) in order, fetching up to 1 + readAheadChunks parts concurrently. */
  async *stream(offset = 0, end = this.length): AsyncIterable<Buffer> {
    checkRange(offset, end - offset);
    end = Math.min(end, this.length);
    if (offset >= end) return;
    const first = this.chunkIndexAt(offset);
    const last = this.chunkIndexAt(end - 1);
    const inflight = new Map<number, Promise<Buffer>>();
    let next = first;
    try {
      for (let i = first; i <= last; i++) {
        while (next <= last && next <= i + this.readAhead) {
          inflight.set(next, this.fetch(next));
          next++;
        }
        const data = await inflight.get(i)!;
        inflight.delete(i);
        const e = this.entries[i]!;
        yield data.subarray(Math.max(offset, e.start) - e.start, Math.min(end, e.start + e.length) - e.start);
      }
    } finally {
      inflight.clear();
    }
  }
}
