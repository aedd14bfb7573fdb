// The object layer (CAOS, kopia repo/object + repo/splitter): objects of any size over contents.
// Guarantees:
// - an object ID names immutable bytes: a direct content ID, or "I"… + the ID of an index object whose
//   kopia:indirect JSON lists contiguous parts from offset 0 (legacy "Z" IDs are read, never written);
// - what ObjectManager writes kopia reads and vice versa: same ID grammar, indirect JSON byte-identical
//   to Go's json.Encoder, index contents prefixed "x" (or the object's own prefix, e.g. "k");
// - chunking only affects dedup: FASTCDC-1M for our data, kopia's buzhash/fixed splitters by name;
// - readers verify every part's length against its index entry and read ahead on sequential access.
// Kopia sources: repo/object/{objectid,indirect,object_writer,object_reader,object_manager}.go,
// repo/splitter/*.go; format summary in kopia-format.md §7.
import type { ContentInfo } from '../content/content-info.ts';
import { NotFoundError, UnsupportedError } from '../errors.ts';
import type { ObjectId } from './object-id.ts';
import { formatObjectId, indexObjectIdOf, parseObjectId } from './object-id.ts';
import type { ObjectContentReader, ObjectReadOptions } from './object-reader.ts';
import { DEFAULT_READ_AHEAD_CHUNKS, loadIndirectEntries, openObject } from './object-reader.ts';
import type { IndirectEntry, ObjectReader, ObjectStore, ObjectWriter, ObjectWriterOptions } from './object-store.ts';
import type { ObjectContentWriter } from './object-writer.ts';
import { ContentObjectWriter, INDIRECT_CONTENT_PREFIX, writeIndirectObject } from './object-writer.ts';
import { DEFAULT_SPLITTER, splitterFactory } from './splitter-factory.ts';
import type { SplitterFactory } from './splitter.ts';

/** Kopia's default metadata compression (policy MetadataCompressionPolicy). */
export const DEFAULT_METADATA_COMPRESSION = 'zstd-fastest';
export const DEFAULT_WRITE_CONCURRENCY = 4;

export interface ObjectManagerOptions {
  /** Default splitter for new objects and for index JSON; default FASTCDC-1M. */
  readonly splitter?: string;
  /** Overrides `splitter` with a custom factory (tests, benchmarks). */
  readonly newSplitter?: SplitterFactory;
  /** Compression of index (indirect) JSON; default zstd-fastest. */
  readonly metadataCompression?: string | undefined;
  /** Chunk writes in flight per writer; default 4. */
  readonly writeConcurrency?: number;
  /** Chunks read ahead by sequential readers; default 4. */
  readonly readAheadChunks?: number;
}

/** Content calls the object layer uses; writing additionally needs writeContent. */
export type ObjectContents = ObjectContentReader & {
  contentInfo?(contentId: string): ContentInfo | undefined;
  writeContent?: ObjectContentWriter['writeContent'];
};

export class ObjectManager implements ObjectStore {
  private readonly contents: ObjectContents;
  private readonly newDefaultSplitter: SplitterFactory;
  private readonly metadataCompression: string | undefined;
  private readonly writeConcurrency: number;
  private readonly readOptions: ObjectReadOptions;

  constructor(contents: ObjectContents, options: ObjectManagerOptions = {}) {
    this.contents = contents;
    this.newDefaultSplitter = options.newSplitter ?? splitterFactory(options.splitter ?? DEFAULT_SPLITTER);
    this.metadataCompression = 'metadataCompression' in options ? options.metadataCompression : DEFAULT_METADATA_COMPRESSION;
    this.writeConcurrency = Math.max(1, options.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY);
    this.readOptions = { readAheadChunks: options.readAheadChunks ?? DEFAULT_READ_AHEAD_CHUNKS };
  }

  openObject(objectId: string): Promise<ObjectReader> {
    return openObject(this.contents, objectId, this.readOptions);
  }

  newWriter(options: ObjectWriterOptions = {}): ObjectWriter {
    return new ContentObjectWriter({
      contents: this.writer(),
      splitter: options.splitter === undefined ? this.newDefaultSplitter() : splitterFactory(options.splitter)(),
      newIndexSplitter: this.newDefaultSplitter,
      prefix: options.prefix ?? '',
      compression: options.compression,
      metadataCompression: 'metadataCompression' in options ? options.metadataCompression : this.metadataCompression,
      concurrency: Math.max(1, options.concurrency ?? this.writeConcurrency),
      description: options.description ?? 'object',
    });
  }

  writeIndirect(entries: readonly IndirectEntry[], options: { readonly prefix?: string; readonly metadataCompression?: string | undefined } = {}): Promise<string> {
    return writeIndirectObject(this.writer(), entries, {
      prefix: options.prefix ?? '',
      metadataCompression: 'metadataCompression' in options ? options.metadataCompression : this.metadataCompression,
      newSplitter: this.newDefaultSplitter,
    });
  }

  /**
   * One object whose bytes are the given objects' bytes in order, without copying data (kopia
   * Manager.Concatenate): indirect inputs contribute their entries, direct ones a single entry.
   */
  async concatenate(objectIds: readonly string[], metadataCompression: string | undefined = this.metadataCompression): Promise<string> {
    if (objectIds.length === 0) throw new RangeError('concatenate needs at least one object');
    if (objectIds.length === 1) return objectIds[0]!;
    const entries: IndirectEntry[] = [];
    let total = 0;
    for (const text of objectIds) {
      const id = parseObjectId(text);
      const parts = id.indirection > 0
        ? await loadIndirectEntries(this.contents, id, this.readOptions)
        : [{ start: 0, length: (await this.openObject(text)).length, objectId: formatObjectId(id) }];
      for (const p of parts) entries.push({ start: total + p.start, length: p.length, objectId: p.objectId });
      const last = parts[parts.length - 1]!;
      total += last.start + last.length;
    }
    // Kopia writes a concatenated index with prefix "x" whatever the inputs' prefix.
    return this.writeIndirect(entries, { prefix: INDIRECT_CONTENT_PREFIX, metadataCompression });
  }

  async objectContents(objectId: string): Promise<string[]> {
    const seen = new Set<string>();
    await this.forEachContent(objectId, (id) => seen.add(id));
    return [...seen];
  }

  /**
   * Calls fn with every content ID the object is made of, indirect contents included, one indirect level
   * at a time (a content may come more than once). GC walks huge objects this way: only one level's
   * listing is in memory, not every ID of the object.
   */
  async forEachContent(objectId: string, fn: (contentId: string) => void): Promise<void> {
    await this.collect(parseObjectId(objectId), fn);
  }

  /** Checks that every content of the object is indexed and live; returns them (kopia VerifyObject). */
  async verifyObject(objectId: string): Promise<string[]> {
    const ids = await this.objectContents(objectId);
    const info = this.contents.contentInfo;
    if (info === undefined) throw new UnsupportedError('verifyObject needs a content reader with contentInfo()');
    for (const c of ids) {
      const ci = info.call(this.contents, c);
      if (ci === undefined || ci.deleted) {
        throw new NotFoundError(`object ${objectId}: content ${c} is ${ci === undefined ? 'missing from the index' : 'deleted'}`, {
          hint: 'the repository is missing data this object needs; a snapshot referencing it is damaged',
        });
      }
    }
    return ids;
  }

  private async collect(id: ObjectId, fn: (contentId: string) => void): Promise<void> {
    const index = indexObjectIdOf(id);
    if (index === undefined) {
      fn(id.contentId);
      return;
    }
    await this.collect(index, fn);
    for (const e of await loadIndirectEntries(this.contents, id, this.readOptions)) await this.collect(parseObjectId(e.objectId), fn);
  }

  private writer(): ObjectContentWriter {
    const write = this.contents.writeContent;
    if (write === undefined) {
      throw new UnsupportedError('this object store was opened read-only', { hint: 'open the repository for writing' });
    }
    return { writeContent: (data, options) => write.call(this.contents, data, options) };
  }
}
