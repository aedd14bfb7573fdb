// A blob written while it is produced: a data pack is appended to storage as contents arrive instead of being
// held whole in memory until it is sealed (20 MiB and more per pack, two or three packs at a time).
// Stores that can take a blob in pieces offer BlobStore.openWriter (filesystem-store.ts); the others take
// whole blobs through put().

export interface BlobWriter {
  /** The blob's ID. */
  readonly id: string;
  /** Bytes appended so far. */
  readonly length: number;
  /**
   * Copies `data` to the end of the blob; the bytes go to storage in the background. Throws the failure of an
   * earlier background write (the blob is then lost: commit() throws it too).
   */
  append(data: Uint8Array): void;
  /** Resolves once the background writes have caught up to within one window; rejects with their failure. */
  drain(): Promise<void>;
  /** Bytes appended earlier, read back (a content read before its pack is stored). */
  read(offset: number, length: number): Promise<Buffer>;
  /** Writes the rest, makes the blob durable and puts it in place under its ID (readers see all of it or none). */
  commit(): Promise<void>;
  /** Drops what was written; the blob never appears. Idempotent, never throws. */
  abort(): Promise<void>;
}

/** How a writer starts. */
export interface BlobWriterOptions {
  /**
   * Awaited before anything of the blob reaches storage (the filesystem's temp file): a data pack's session
   * marker, so that maintenance sees the pack's writer as live while the pack fills.
   */
  readonly beforeFirstWrite?: () => Promise<unknown>;
}
