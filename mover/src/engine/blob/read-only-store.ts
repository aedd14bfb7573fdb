// Lets reads through and refuses every write or delete with ReadOnlyStoreError, before anything reaches
// the storage. Used for verify/restore/list so a bug above can never modify a repository opened read-only.
import type { BlobReader, BlobStore, PutOptions } from './blob-store.ts';
import { ReadOnlyStoreError } from './blob-errors.ts';
import { ForwardingReader } from './forwarding-reader.ts';

export class ReadOnlyBlobStore extends ForwardingReader<BlobReader & { close(): Promise<void> }> implements BlobStore {
  async put(id: string, _data?: Uint8Array, _options?: PutOptions): Promise<void> {
    throw new ReadOnlyStoreError(`refusing to write blob ${id}: ${this.description} is opened read-only`);
  }

  async delete(id: string): Promise<void> {
    throw new ReadOnlyStoreError(`refusing to delete blob ${id}: ${this.description} is opened read-only`);
  }
}
