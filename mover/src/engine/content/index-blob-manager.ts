// Where index blobs live and which of them are active: the epoch manager (xn/xs/xr blobs, format v2+)
// or the legacy v0 manager (n blobs, epochs disabled). Both encrypt index blobs with blobcrypto.
import type { BlobMetadata } from '../blob/blob-store.ts';

export interface ActiveIndexSet {
  readonly blobs: readonly BlobMetadata[];
  /** Unix seconds; deleted index entries at or before it count as non-existent (0 = none). */
  readonly deletionWatermarkSeconds: number;
}

export interface IndexBlobManager {
  /** The blobs whose merged entries form the committed index. */
  listActiveIndexBlobs(): Promise<ActiveIndexSet>;
  /** Encrypts and stores index blobs written together by one session (the commit point of its packs). */
  writeIndexBlobs(shards: readonly Uint8Array[], sessionId: string): Promise<BlobMetadata[]>;
  /** Forgets cached listings so the next call lists storage again. */
  invalidate(): void;
}
