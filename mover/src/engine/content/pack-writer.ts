// Builds one pack blob (kopia content_manager.go getOrCreatePendingPackInfoLocked, lock_free.go
// preparePackDataContent, content_index_recovery.go appendPackFileIndexRecoveryData):
//   [format blob replica, format v1 only] ‖ 32 random bytes ‖ encrypted contents back to back
//   ‖ random padding to the next multiple of 4096 (a full 4096 when already aligned)
//   ‖ local index encrypted with IV = full hash of its plaintext (which ends in 32 random bytes)
//   ‖ postamble (pack-postamble.ts)
// Pack names are `p|q ‖ hex(16 random bytes) ‖ "-" ‖ sessionID` (p: data, q: prefixed contents).
// The bytes are held in one buffer until the pack is stored, or, with a `sink` (a store's BlobWriter), go to
// storage as they are appended: a data pack then costs the writer's few windows instead of 20 MiB and more.
import type { BlobStore } from '../blob/blob-store.ts';
import type { BlobWriter } from '../blob/blob-writer.ts';
import type { BufferPool } from '../util/buffer-pool.ts';
import { createHmac, randomBytes } from 'node:crypto';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import type { ContentInfo } from './content-info.ts';
import { IndexBuilder } from './index-builder.ts';
import { buildIndex } from './index-codec.ts';
import { encodePostamble } from './pack-postamble.ts';

export const PACK_PREAMBLE_SIZE = 32;
export const PACK_PADDING_UNIT = 4096;
const PACK_ID_RANDOM_BYTES = 16;
const INITIAL_CAPACITY = 256 * 1024;

/** A fresh pack blob ID for contents of the given pack prefix ("p" or "q") in a session. */
export function newPackBlobId(prefix: 'p' | 'q', sessionId: string): string {
  return `${prefix}${randomBytes(PACK_ID_RANDOM_BYTES).toString('hex')}-${sessionId}`;
}

const FORMAT_REPLICA_SECRET = 'kopia-repository';
const MAX_FORMAT_REPLICA_LENGTH = 65000;

/**
 * The copy of `kopia.repository` kopia puts at the start of every pack of a repository without password
 * change support (format_blob.go addFormatBlobChecksumAndLength):
 * `len u16 LE ‖ formatBytes ‖ HMAC-SHA256("kopia-repository", formatBytes) ‖ len u16 LE`.
 */
export function formatBlobReplica(formatBlobBytes: Uint8Array): Buffer {
  const mac = createHmac('sha256', FORMAT_REPLICA_SECRET).update(formatBlobBytes).digest();
  const l = formatBlobBytes.length + mac.length;
  if (l > MAX_FORMAT_REPLICA_LENGTH) throw new RangeError(`format blob too big for a pack replica: ${l} bytes`);
  const out = Buffer.alloc(l + 4);
  out.writeUInt16LE(l, 0);
  out.set(formatBlobBytes, 2);
  mac.copy(out, 2 + formatBlobBytes.length);
  out.writeUInt16LE(l, l + 2);
  return out;
}

export interface PackWriterOptions {
  readonly packBlobId: string;
  /** Index version of the repository (the local index uses it too). */
  readonly indexVersion: number;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  /** formatBlobReplica(), written before the preamble when the repository has enablePasswordChange=false. */
  readonly formatBlobReplica?: Uint8Array | undefined;
  /** Where the pack buffer comes from and returns to after upload (data packs). */
  readonly bufferPool?: BufferPool | undefined;
  /** Writes the pack to storage as it is appended instead of holding it (BlobStore.openWriter for packBlobId). */
  readonly sink?: BlobWriter | undefined;
}

export class PackWriter {
  readonly packBlobId: string;
  private readonly options: PackWriterOptions;
  private buf: Buffer;
  /**
   * The pack's entries in typed arrays, not an object per content: a 20 MiB pack of small compressed
   * files holds 200,000+ contents (~200 bytes each as objects with their ID strings, ~70 here).
   */
  private readonly items = new IndexBuilder();
  /** Contents forgotten by remove() (rare: a delete of a content written moments ago). */
  private removed: Set<string> | undefined;
  private length = 0;
  private finished: Buffer | undefined;
  private readonly sink: BlobWriter | undefined;

  constructor(options: PackWriterOptions) {
    this.options = options;
    this.packBlobId = options.packBlobId;
    this.sink = options.sink;
    this.buf = this.sink !== undefined ? Buffer.alloc(0) : (options.bufferPool?.acquire() ?? Buffer.allocUnsafe(INITIAL_CAPACITY));
    if (options.formatBlobReplica !== undefined) this.push(options.formatBlobReplica);
    this.push(randomBytes(PACK_PREAMBLE_SIZE));
  }

  /** Bytes of the pack so far (preamble and contents, before padding and local index). */
  get dataLength(): number {
    return this.length;
  }

  get contentCount(): number {
    return this.items.size - (this.removed?.size ?? 0);
  }

  /** True once the pack is sealed (seal() or finish()); no more contents may be added. */
  get isFinished(): boolean {
    return this.finished !== undefined;
  }

  /** Whether the pack goes to storage as it is appended (a sink): callers let it drain() after appends. */
  get streaming(): boolean {
    return this.sink !== undefined;
  }

  /** Resolves once the sink's background writes have caught up (backpressure); at once without a sink. */
  async drain(): Promise<void> {
    await this.sink?.drain();
  }

  /** Appends (copies) an encrypted content; returns its index entry. */
  append(
    contentId: string,
    payload: Uint8Array,
    originalLength: number,
    compressionHeaderId: number,
    timestampSeconds: number,
    formatVersion: number,
  ): ContentInfo {
    if (this.finished !== undefined) throw new Error(`pack ${this.packBlobId} is already finished`);
    const info: ContentInfo = {
      contentId,
      packBlobId: this.packBlobId,
      packOffset: this.length,
      packedLength: payload.length,
      originalLength,
      timestampSeconds,
      deleted: false,
      compressionHeaderId,
      formatVersion,
      encryptionKeyId: 0,
    };
    this.items.set(info);
    this.removed?.delete(contentId);
    this.push(payload);
    return info;
  }

  get(contentId: string): ContentInfo | undefined {
    return this.removed?.has(contentId) === true ? undefined : this.items.get(contentId);
  }

  /** The encrypted bytes of a content of this pack (a view, valid until the next append). Not for a streaming pack. */
  payload(contentId: string): Buffer | undefined {
    if (this.sink !== undefined) throw new Error(`pack ${this.packBlobId} is written as it fills: use readPayload`);
    const it = this.get(contentId);
    return it === undefined ? undefined : this.buf.subarray(it.packOffset, it.packOffset + it.packedLength);
  }

  /** The encrypted bytes of a content of this pack (a copy when they are read back from the sink). */
  async readPayload(contentId: string): Promise<Buffer | undefined> {
    if (this.sink === undefined) return this.payload(contentId);
    const it = this.get(contentId);
    return it === undefined ? undefined : await this.sink.read(it.packOffset, it.packedLength);
  }

  /** Forgets a content (its bytes stay in the pack but no index entry will point at them). */
  remove(contentId: string): boolean {
    if (this.finished !== undefined || this.get(contentId) === undefined) return false;
    (this.removed ??= new Set()).add(contentId);
    return true;
  }

  /** Adds the pack's entries to `index` (without an object per entry unless some were removed). */
  addEntriesTo(index: IndexBuilder): void {
    if (this.removed === undefined || this.removed.size === 0) {
      index.addAllFrom(this.items);
      return;
    }
    index.reserve(this.contentCount);
    for (const info of this.entries()) index.add(info);
  }

  *entries(): Generator<ContentInfo> {
    for (const info of this.items.entries()) if (this.removed?.has(info.contentId) !== true) yield info;
  }

  /**
   * Pads the pack, appends the encrypted local index and the postamble, and returns the whole blob.
   * Returns undefined when no content is left (nothing to upload). Idempotent. Not for a streaming pack.
   */
  finish(): Buffer | undefined {
    if (this.sink !== undefined) throw new Error(`pack ${this.packBlobId} is written as it fills: use seal and storeIn`);
    return this.seal() === 0 ? undefined : this.finished;
  }

  /**
   * Pads the pack and appends the encrypted local index and the postamble; returns the pack's length, or 0
   * when no content is left (nothing to store). Idempotent. Throws a failed sink's error (the pack is lost).
   */
  seal(): number {
    if (this.finished !== undefined) return this.length;
    if (this.contentCount === 0) return 0;
    const missing = PACK_PADDING_UNIT - (this.length % PACK_PADDING_UNIT);
    this.push(randomBytes(missing));
    let builder = this.items;
    if (this.removed !== undefined && this.removed.size > 0) {
      builder = new IndexBuilder(this.contentCount);
      for (const info of this.entries()) builder.add(info);
    }
    const localIndex = buildIndex(builder, this.options.indexVersion, { randomSuffix: true });
    const iv = this.options.hasher.hash(localIndex);
    const encrypted = this.options.encryptor.encrypt(localIndex, iv);
    const localIndexOffset = this.length;
    this.push(encrypted);
    this.push(encodePostamble({ localIndexIv: iv, localIndexOffset, localIndexLength: encrypted.length }));
    this.finished = this.buf.subarray(0, this.length);
    return this.length;
  }

  /** Stores the sealed pack: commits the sink, or puts the buffer. Retried after a failure, a sink's throws it again. */
  async storeIn(store: BlobStore): Promise<void> {
    if (this.finished === undefined) throw new Error(`pack ${this.packBlobId} is not sealed`);
    if (this.sink !== undefined) await this.sink.commit();
    else await store.put(this.packBlobId, this.finished);
  }

  /** Drops a pack that will not be stored (its sink's temp file goes). */
  async discard(): Promise<void> {
    await this.sink?.abort();
    this.release();
  }

  /** Drops the pack bytes after a successful upload (entries stay readable). */
  release(): void {
    if (this.sink !== undefined) return;
    this.options.bufferPool?.release(this.buf);
    this.buf = Buffer.alloc(0);
    this.finished = Buffer.alloc(0);
  }

  private push(b: Uint8Array): void {
    if (this.sink !== undefined) {
      this.sink.append(b);
      this.length += b.length;
      return;
    }
    const need = this.length + b.length;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const grown = Buffer.allocUnsafe(cap);
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    // A content's payload may sit in a worker's shared payload slot: from shared memory TypedArray#set takes
    // V8's relaxed-atomic copy (8.8 GiB/s for 4 MiB here) where Buffer#copy is a memmove (10.8); for small
    // pieces set is the cheaper call.
    if (b.length >= 64 * 1024) Buffer.from(b.buffer, b.byteOffset, b.length).copy(this.buf, this.length);
    else this.buf.set(b, this.length);
    this.length = need;
  }
}
