// Lets reads through and refuses every write or delete with ReadOnlyStoreError, before anything reaches
// the storage. Used for verify/restore/list so a bug above can never modify a repository opened read-only.
import type { BlobMetadata, BlobReader, BlobStore, ByteRange, PutOptions } from './blob-store.ts';
import { ReadOnlyStoreError } from './blob-errors.ts';

export class ReadOnlyBlobStore implements BlobStore {
  readonly inner: BlobReader & { close(): Promise<void> };

  constructor(inner: BlobReader & { close(): Promise<void> }) {
    this.inner = inner;
  }

  get description(): string {
    return this.inner.description;
  }

  get(id: string, range?: ByteRange): Promise<Buffer> {
    return this.inner.get(id, range);
  }

  stat(id: string): Promise<BlobMetadata> {
    return this.inner.stat(id);
  }

  list(prefix: string): AsyncIterable<BlobMetadata> {
    return this.inner.list(prefix);
  }

  async put(id: string, _data?: Uint8Array, _options?: PutOptions): Promise<void> {
    throw new ReadOnlyStoreError(`refusing to write blob ${id}: ${this.description} is opened read-only`);
  }

  async delete(id: string): Promise<void> {
    throw new ReadOnlyStoreError(`refusing to delete blob ${id}: ${this.description} is opened read-only`);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
