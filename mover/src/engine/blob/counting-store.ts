// Counts the operations that reach storage (GETs and bytes downloaded, LISTs, PUTs, ...), so a run can say
// what it cost in requests — the figure an S3 bill and a slow link care about, and the proof that a local
// cache works. Counts only: no blob IDs, no data, nothing secret.
import type { BlobMetadata, BlobStore, ByteRange, PutOptions, SweepTemporary } from './blob-store.ts';
import type { BlobWriter, BlobWriterOptions } from './blob-writer.ts';

export interface StorageCounts {
  gets: number;
  /** Bytes returned by GETs (whole blobs and ranges). */
  getBytes: number;
  /** LIST operations started (one per prefix listed, however many pages the store needed). */
  lists: number;
  stats: number;
  puts: number;
  putBytes: number;
  deletes: number;
}

export function emptyStorageCounts(): StorageCounts {
  return { gets: 0, getBytes: 0, lists: 0, stats: 0, puts: 0, putBytes: 0, deletes: 0 };
}

export class CountingBlobStore implements BlobStore {
  readonly counts: StorageCounts = emptyStorageCounts();
  private readonly inner: BlobStore;
  /** The inner store's writer, when it has one; a committed blob counts as one put of its length. */
  readonly openWriter?: (id: string, options?: BlobWriterOptions) => BlobWriter;
  /** The inner store's sweep of stale temp files, when it has one; each file removed counts as a delete. */
  readonly sweepTemporary?: SweepTemporary;

  constructor(inner: BlobStore) {
    this.inner = inner;
    if (inner.sweepTemporary !== undefined) {
      this.sweepTemporary = async (olderThan, liveWriters) => {
        const swept = await inner.sweepTemporary!(olderThan, liveWriters);
        this.counts.deletes += swept.deletedFiles;
        return swept;
      };
    }
    if (inner.openWriter !== undefined) {
      this.openWriter = (id, options) => {
        const w = inner.openWriter!(id, options);
        const commit = w.commit.bind(w);
        return Object.assign(w, {
          commit: async () => {
            this.counts.puts++;
            const length = w.length;
            await commit();
            this.counts.putBytes += length;
          },
        });
      };
    }
  }

  get description(): string {
    return this.inner.description;
  }

  async get(id: string, range?: ByteRange): Promise<Buffer> {
    this.counts.gets++;
    const data = await this.inner.get(id, range);
    this.counts.getBytes += data.length;
    return data;
  }

  stat(id: string): Promise<BlobMetadata> {
    this.counts.stats++;
    return this.inner.stat(id);
  }

  list(prefix: string): AsyncIterable<BlobMetadata> {
    this.counts.lists++;
    return this.inner.list(prefix);
  }

  async put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    this.counts.puts++;
    await this.inner.put(id, data, options);
    this.counts.putBytes += data.length;
  }

  delete(id: string): Promise<void> {
    this.counts.deletes++;
    return this.inner.delete(id);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
