// What the layers above need from the object layer (CAOS, kopia repo/object). An object ID is
// "I"* (indirection) + optional legacy "Z" + a content ID. Implemented by ObjectManager (object-manager.ts).

export interface ObjectReader {
  readonly length: number;
  /**
   * Reads exactly `length` bytes at `offset` (fewer only at the end of the object). The result may be a
   * view of a cached chunk: do not modify it. Sequential reads fetch the following chunks ahead.
   */
  read(offset: number, length: number): Promise<Buffer>;
  /** The whole object; for metadata-sized objects. */
  readAll(): Promise<Buffer>;
  /** The bytes of [offset, end) in order as views of whole chunks, fetching several chunks ahead (restore). */
  stream(offset?: number, end?: number): AsyncIterable<Buffer>;
}

export interface ObjectWriterOptions {
  /** Content prefix: "" for file data, "k" for directory listings. */
  readonly prefix?: string;
  /** Compression of the object's chunks (kopia compressor name; undefined or "none" = none). */
  readonly compression?: string | undefined;
  /** Compression of the indirect (index) JSON of multi-chunk objects; default: the store's (zstd-fastest). */
  readonly metadataCompression?: string | undefined;
  /** Splitter name (splitter-factory.ts); default: the store's. */
  readonly splitter?: string;
  /** Chunk writes in flight at once; default: the store's. */
  readonly concurrency?: number;
  readonly description?: string;
}

export interface ObjectWriter {
  /**
   * Splits and stores `data`. When the promise resolves the writer no longer references `data`, so the
   * caller may reuse its buffer. Calls must not overlap (await each one).
   */
  write(data: Uint8Array): Promise<void>;
  /** ID of an object made of the chunks completed so far (kopia Checkpoint), or undefined if none. */
  checkpoint(): Promise<string | undefined>;
  /** Flushes the last chunk and returns the object ID. The writer accepts no more data afterwards. */
  result(): Promise<string>;
}

/** One part of an indirect object (kopia IndirectObjectEntry): bytes [start, start+length) are `objectId`. */
export interface IndirectEntry {
  readonly start: number;
  readonly length: number;
  readonly objectId: string;
}

export interface ObjectStore {
  openObject(objectId: string): Promise<ObjectReader>;
  newWriter(options?: ObjectWriterOptions): ObjectWriter;
  /**
   * Names an object made of parts stored elsewhere (a parallel uploader): writes the indirect JSON exactly
   * as newWriter() would for the same chunks and returns "I…"; a single part at offset 0 is returned as is.
   * `prefix` is the object's prefix ("" data -> index contents "x"; "k" stays "k").
   */
  writeIndirect(entries: readonly IndirectEntry[], options?: { readonly prefix?: string; readonly metadataCompression?: string | undefined }): Promise<string>;
  /** Content IDs an object is made of, including indirect contents (for verify and GC). */
  objectContents(objectId: string): Promise<string[]>;
}
