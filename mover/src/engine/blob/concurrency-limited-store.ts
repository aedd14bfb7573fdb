// Bounds the number of storage operations in flight (uploads, ranged reads, listing page fetches), so a
// wide pipeline above cannot open hundreds of connections at once. Excess calls wait in FIFO order.
// A listing holds a slot only while it fetches its next item, never across the consumer's loop body, so
// a consumer that reads blobs while iterating a listing cannot deadlock against itself.
import type { BlobMetadata, BlobStore, ByteRange, PutOptions, SweepTemporary } from './blob-store.ts';
import type { BlobWriter, BlobWriterOptions } from './blob-writer.ts';
import { Semaphore } from '../util/semaphore.ts';

export class ConcurrencyLimitedBlobStore implements BlobStore {
  readonly inner: BlobStore;
  readonly limit: number;
  private readonly semaphore: Semaphore;
  /**
   * The inner store's writer, when it has one. Its writes take no slot: one blob's windows go out one after
   * another, and the writers open at once are the caller's pack uploads, already bounded.
   */
  readonly openWriter?: (id: string, options?: BlobWriterOptions) => BlobWriter;
  /** The inner store's sweep of stale temp files, when it has one (a maintenance step: no slot). */
  readonly sweepTemporary?: SweepTemporary;

  constructor(inner: BlobStore, limit: number) {
    this.inner = inner;
    this.limit = limit;
    this.semaphore = new Semaphore(limit);
    if (inner.openWriter !== undefined) this.openWriter = (id, options) => inner.openWriter!(id, options);
    if (inner.sweepTemporary !== undefined) this.sweepTemporary = (olderThan, liveWriters) => inner.sweepTemporary!(olderThan, liveWriters);
  }

  get description(): string {
    return this.inner.description;
  }

  get(id: string, range?: ByteRange): Promise<Buffer> {
    return this.semaphore.run(() => this.inner.get(id, range));
  }

  stat(id: string): Promise<BlobMetadata> {
    return this.semaphore.run(() => this.inner.stat(id));
  }

  async *list(prefix: string): AsyncGenerator<BlobMetadata> {
    const it = this.inner.list(prefix)[Symbol.asyncIterator]();
    let finished = false;
    try {
      while (true) {
        const r = await this.semaphore.run(() => it.next());
        if (r.done === true) {
          finished = true;
          return;
        }
        yield r.value;
      }
    } finally {
      if (!finished) await it.return?.();
    }
  }

  put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    return this.semaphore.run(() => this.inner.put(id, data, options));
  }

  delete(id: string): Promise<void> {
    return this.semaphore.run(() => this.inner.delete(id));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
