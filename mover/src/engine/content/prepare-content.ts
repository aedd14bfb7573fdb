// Turning plaintext into what a pack stores (kopia content_manager_lock_free.go
// maybeCompressAndEncryptDataForPacking): hash the uncompressed bytes with the repository's keyed hash,
// compress only when that makes the payload smaller (then the payload is `headerId u32 BE ‖ stream`),
// and encrypt with IV = last 16 bytes of the hash. Pure and synchronous, so worker threads can run it.
import { compressContent } from '../compression/compressors.ts';
import type { Compressor } from '../compression/compressor.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
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
  const contentId = formatContentId(prefix, hash);
  let payload: Uint8Array = data;
  let compressionHeaderId = 0;
  if (compressor !== undefined && data.length > 0) {
    const compressed = compressContent(compressor, data);
    if (compressed.length < data.length) {
      payload = compressed;
      compressionHeaderId = compressor.headerId;
    }
  }
  const iv = hash.subarray(hash.length - CONTENT_IV_SIZE);
  return {
    contentId,
    payload: encryptor.encrypt(payload, iv),
    originalLength: data.length,
    compressionHeaderId,
  };
}
