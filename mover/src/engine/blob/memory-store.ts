// An in-memory BlobStore for unit tests of upper layers (never the proof of a feature: the conformance
// suite runs the real stores). Timestamps come from an injectable clock so tests can age blobs.
import type { BlobMetadata, BlobStore, ByteRange, PutOptions } from './blob-store.ts';
import { BlobExistsError, BlobNotFoundError } from './blob-errors.ts';

export class MemoryBlobStore implements BlobStore {
  readonly description = 'memory://';
  private readonly blobs = new Map<string, { data: Buffer; timestamp: Date }>();
  private readonly now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.now = now;
  }

  async get(id: string, range?: ByteRange): Promise<Buffer> {
    const b = this.blobs.get(id);
    if (b === undefined) throw new BlobNotFoundError(id, this.description);
    if (range === undefined) return Buffer.from(b.data);
    if (range.offset < 0 || range.length < 0 || range.offset + range.length > b.data.length) {
      throw new RangeError(`range ${range.offset}+${range.length} outside blob ${id} of ${b.data.length} bytes`);
    }
    return Buffer.from(b.data.subarray(range.offset, range.offset + range.length));
  }

  async stat(id: string): Promise<BlobMetadata> {
    const b = this.blobs.get(id);
    if (b === undefined) throw new BlobNotFoundError(id, this.description);
    return { id, length: b.data.length, timestamp: b.timestamp };
  }

  async *list(prefix: string): AsyncIterable<BlobMetadata> {
    const ids = [...this.blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const id of ids) {
      const b = this.blobs.get(id);
      if (b !== undefined) yield { id, length: b.data.length, timestamp: b.timestamp };
    }
  }

  async put(id: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    if (options.ifNotExists === true && this.blobs.has(id)) throw new BlobExistsError(id, this.description);
    this.blobs.set(id, { data: Buffer.from(data), timestamp: this.now() });
  }

  async delete(id: string): Promise<void> {
    this.blobs.delete(id);
  }

  async close(): Promise<void> {}

  /** Test helper: overwrite bytes in place (simulates bit rot). */
  corrupt(id: string, offset: number): void {
    const b = this.blobs.get(id);
    if (b === undefined) throw new BlobNotFoundError(id, this.description);
    b.data[offset] = (b.data[offset] ?? 0) ^ 0xff;
  }
}
