// Blob layer: a flat namespace of immutable, named byte strings (kopia's repo/blob/storage.go).
// Invariants every BlobStore keeps (checked by the conformance suite):
// - put is atomic: a reader sees the whole new blob or nothing (never a prefix);
// - get of a missing blob throws BlobNotFoundError; delete of a missing blob succeeds;
// - list returns every blob whose id starts with the prefix, with the *storage's* timestamp
//   (file mtime / object LastModified) — maintenance judges ages by it, never by the local clock.
// Implementations: filesystem-store.ts (kopia repo/blob/filesystem + repo/blob/sharded: `.shards`, shard
// directories, `.f` files), s3-store.ts (repo/blob/s3: key = prefix + blob ID). Wrappers add retrying,
// concurrency limits, read-only and fault injection; open-blob-store.ts composes them from a URL.
// test-support/blob-store-conformance.ts is the one suite every store passes.

import type { BlobWriter, BlobWriterOptions } from './blob-writer.ts';

export interface BlobMetadata {
  readonly id: string;
  readonly length: number;
  readonly timestamp: Date;
}

export interface ByteRange {
  readonly offset: number;
  /** Number of bytes; the range must lie inside the blob. */
  readonly length: number;
  /**
   * A buffer of at least `length` bytes the store may read the range into (the result is then a view of
   * it, not necessarily at its start: a filesystem store reads whole blocks with O_DIRECT into page-aligned
   * memory that has room for them, direct-read.ts): a caller that reads many ranges reuses its memory
   * instead of a fresh buffer per read. Stores may
   * ignore it; callers use the returned Buffer, whichever memory it is in.
   */
  readonly into?: Uint8Array | undefined;
}

export interface PutOptions {
  /** Fail with BlobExistsError instead of replacing an existing blob (repository creation). */
  readonly ifNotExists?: boolean;
}

export interface BlobReader {
  /** A text that identifies the location for messages, e.g. `s3://bucket/prefix`; never contains secrets. */
  readonly description: string;
  get(id: string, range?: ByteRange): Promise<Buffer>;
  stat(id: string): Promise<BlobMetadata>;
  list(prefix: string): AsyncIterable<BlobMetadata>;
}

export interface BlobStore extends BlobReader {
  put(id: string, data: Uint8Array, options?: PutOptions): Promise<void>;
  /**
   * A writer that stores a new blob while it is produced, for stores that can (the filesystem's); the blob
   * appears under `id` only when the writer commits, as with put(). Wrappers that change writes do not offer it.
   */
  openWriter?(id: string, options?: BlobWriterOptions): BlobWriter;
  /**
   * Deletes the temp files of writes that never finished (a writer killed before its rename) last modified
   * before `olderThan`, for stores that leave such files (the filesystem's). Wrappers that change writes or
   * refuse deletes do not offer it.
   */
  sweepTemporary?: SweepTemporary;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Which blobs are being written by a writer that is still running (maintenance: a live session's), whatever
 * their temp files' age. A sweep asks once, after it has listed the temp files and before it deletes any: a
 * writer that was running when the files were listed has announced itself by then (pack GC's order).
 */
export type LiveWriters = () => Promise<(blobId: string) => boolean>;

export type SweepTemporary = (olderThan: Date, liveWriters?: LiveWriters) => Promise<TemporarySweep>;

/** What a sweep of stale temp files removed (and left: younger files may belong to a write in progress). */
export interface TemporarySweep {
  deletedFiles: number;
  deletedBytes: number;
  /** Temp files younger than the cut-off or of a live writer, left in place. */
  keptFiles: number;
}

/** Collects a listing into an array (for small prefixes such as index blobs). */
export async function listAll(store: BlobReader, prefix: string): Promise<BlobMetadata[]> {
  const out: BlobMetadata[] = [];
  for await (const m of store.list(prefix)) out.push(m);
  return out;
}
