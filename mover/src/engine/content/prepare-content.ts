// Turning plaintext into what a pack stores (kopia content_manager_lock_free.go
// maybeCompressAndEncryptDataForPacking): hash the uncompressed bytes with the repository's keyed hash,
// compress only when that makes the payload smaller (then the payload is `headerId u32 BE ‖ stream`),
// and encrypt with IV = last 16 bytes of the hash. Pure and synchronous, so worker threads can run it.
import { COMPRESSION_HEADER_SIZE, compressContent } from '../compression/compressors.ts';
import type { Compressor } from '../compression/compressor.ts';
import { looksIncompressible } from '../compression/looks-incompressible.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import { releaseBuffer } from '../util/release-buffer.ts';
import { CONTENT_IV_SIZE, formatContentId } from './content-id.ts';

/**
 * A content hashed, compressed and encrypted elsewhere (a worker thread) and ready to be appended to a
 * pack. Produced by prepareContent() in the content layer.
 */
export interface PreparedContent {
  readonly contentId: string;
  readonly payload: Uint8Array; // encrypted bytes as stored in the pack
  readonly originalLength: number;
  readonly compressionHeaderId: number;
}

export interface PrepareContentOptions {
  /** "" for file data, or one letter g..z ("k" directories, "x" indirect objects, "m" manifests). */
  readonly prefix: string;
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  /** Compressor to try; undefined for none (always undefined for index v1 repositories). */
  readonly compressor?: Compressor | undefined;
}

/** The content ID kopia gives `data` stored with `prefix`. */
export function contentIdFor(hasher: KeyedHasher, prefix: string, data: Uint8Array): string {
  return formatContentId(prefix, hasher.hash(data));
}

/** Hashes, maybe compresses, and encrypts one content. */
export function prepareContent(data: Uint8Array, options: PrepareContentOptions): PreparedContent {
  return prepareContentFromHash(data, options.hasher.hash(data), options.prefix, options.encryptor, options.compressor);
}

/** As prepareContent for a caller that already hashed `data` (e.g. to check a ContentIdSet first). */
export function prepareContentFromHash(
  data: Uint8Array,
  hash: Uint8Array,
  prefix: string,
  encryptor: ContentEncryptor,
  compressor?: Compressor | undefined,
): PreparedContent {
  const out = Buffer.allocUnsafe(data.length + encryptor.overhead);
  const sealed = sealContentInto(data, hash, encryptor, compressor, sharedScratch, out, 0);
  return { contentId: formatContentId(prefix, hash), payload: out.subarray(0, sealed.payloadLength), originalLength: data.length, compressionHeaderId: sealed.compressionHeaderId };
}

/** A reusable compression output buffer (one per preparer), so sealing a chunk allocates only the cipher's. */
export class CompressionScratch {
  buffer = Buffer.alloc(0);

  /** At least `n` bytes. */
  take(n: number): Buffer {
    if (this.buffer.length < n) this.buffer = Buffer.allocUnsafeSlow(Math.max(n, 1 << 20));
    return this.buffer;
  }
}

/** prepareContentFromHash's scratch: sealing is synchronous, so one per thread is never used twice at once. */
const sharedScratch = new CompressionScratch();

/**
 * Kopia's rule for one content, written into `out` at `offset` (room for data.length + encryptor.overhead):
 * compress when `header ‖ stream` is smaller than the data (a compressor that can write into a buffer is
 * given just that much room, so one that would not pay stops early; a large chunk whose sample looks random
 * is not offered to it at all, looks-incompressible.ts), then seal with IV = the hash's last 16 bytes.
 * Returns the payload's length and the compression header ID (0: stored uncompressed).
 */
export function sealContentInto(data: Uint8Array, hash: Uint8Array, encryptor: ContentEncryptor, compressor: Compressor | undefined,
  scratch: CompressionScratch, out: Buffer, offset: number): { readonly payloadLength: number; readonly compressionHeaderId: number } {
  let plain: Uint8Array = data;
  let compressionHeaderId = 0;
  let garbage: Buffer | undefined;
  if (compressor !== undefined && data.length > COMPRESSION_HEADER_SIZE + 1 && !looksIncompressible(data)) {
    if (compressor.compressInto !== undefined) {
      const buf = scratch.take(data.length);
      const n = compressor.compressInto(data, buf.subarray(COMPRESSION_HEADER_SIZE, data.length - 1));
      if (n >= 0) {
        buf.writeUInt32BE(compressor.headerId, 0);
        plain = buf.subarray(0, COMPRESSION_HEADER_SIZE + n);
        compressionHeaderId = compressor.headerId;
      }
    } else {
      const compressed = compressContent(compressor, data);
      garbage = compressed;
      if (compressed.length < data.length) {
        plain = compressed;
        compressionHeaderId = compressor.headerId;
      }
    }
  }
  const payloadLength = encryptor.encryptInto(plain, hash.subarray(hash.length - CONTENT_IV_SIZE), out, offset);
  // a compressor without compressInto (gzip, deflate) returned a fresh buffer: free it now, not at a GC
  if (garbage !== undefined) releaseBuffer(garbage);
  return { payloadLength, compressionHeaderId };
}
