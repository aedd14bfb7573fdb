// Test support: a blob store that hands every call to another one. The test stores that wrap the CLI's store
// (crashing-store.ts, holding-store.ts) extend it and override only the calls they change.
import type { BlobStore, PutOptions } from '../../mover/src/engine/blob/blob-store.ts';
import { ForwardingReader } from '../../mover/src/engine/blob/forwarding-reader.ts';

export class ForwardingStore extends ForwardingReader<BlobStore> implements BlobStore {
  put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    return this.inner.put(id, data, options);
  }

  delete(id: string): Promise<void> {
    return this.inner.delete(id);
  }
}
