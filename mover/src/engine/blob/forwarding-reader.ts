// A blob store's reading half handed to another store: the wrappers that change only some calls (the read-only
// store, the test stores) extend it instead of each forwarding every call themselves.
import type { BlobMetadata, BlobReader, ByteRange } from './blob-store.ts';

export class ForwardingReader<Inner extends BlobReader & { close(): Promise<void> }> {
  readonly inner: Inner;

  constructor(inner: Inner) {
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

  close(): Promise<void> {
    return this.inner.close();
  }
}
