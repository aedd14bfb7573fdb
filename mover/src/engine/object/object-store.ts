// What the layers above need from the object layer (CAOS, kopia repo/object). An object ID is
// "I"* (indirection) + optional legacy "Z" + a content ID.

export interface ObjectReader {
  readonly length: number;
  /** Reads exactly `length` bytes at `offset` (fewer only at the end of the object). */
  read(offset: number, length: number): Promise<Buffer>;
  /** The whole object; for metadata-sized objects. */
  readAll(): Promise<Buffer>;
}

export interface ObjectWriterOptions {
  /** Content prefix: "" for file data, "k" for directory listings. */
  readonly prefix?: string;
  readonly compression?: string | undefined;
  readonly description?: string;
}

export interface ObjectWriter {
  write(data: Uint8Array): Promise<void>;
  /** Flushes the last chunk and returns the object ID. */
  result(): Promise<string>;
}

export interface ObjectStore {
  openObject(objectId: string): Promise<ObjectReader>;
  newWriter(options?: ObjectWriterOptions): ObjectWriter;
  /** Content IDs an object is made of, including indirect contents (for verify and GC). */
  objectContents(objectId: string): Promise<string[]>;
}
