// Reading from pack blobs: one content by ranged GET (kopia committed_read_manager.go
// getContentDataReadLocked + decryptContentAndVerify), and the pack-local index through the postamble
// (readPackFileLocalIndex, used by index recovery and verify). Integrity is the AEAD tag: a flipped
// byte anywhere in a content fails decryption and is reported as CorruptionError naming content and pack.
import type { BlobReader } from '../blob/blob-store.ts';
import { decompressContent } from '../compression/compressors.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { CorruptionError, UnsupportedError, isCairnError } from '../errors.ts';
import { contentIv } from './content-id.ts';
import type { ContentInfo } from './content-info.ts';
import { openIndex } from './index-codec.ts';
import { findPostamble, type PackPostamble } from './pack-postamble.ts';
import { releaseBuffer } from '../util/release-buffer.ts';

/** Bytes read from the end of a pack when looking for its local index (kopia indexRecoverPostambleSize). */
const LOCAL_INDEX_TAIL_SIZE = 8192;

/** The stored (encrypted) bytes of one content. */
export async function readPackedPayload(store: BlobReader, info: ContentInfo): Promise<Buffer> {
  return store.get(info.packBlobId, { offset: info.packOffset, length: info.packedLength });
}

/** Decrypts and, when the index says so, decompresses a content's stored bytes (`frameChecks`: Compressor.decompress). */
export function openPackedContent(payload: Uint8Array, info: ContentInfo, encryptor: ContentEncryptor, frameChecks = true): Buffer {
  if (info.encryptionKeyId !== 0) {
    throw new UnsupportedError(`content ${info.contentId} uses encryption key ID ${info.encryptionKeyId}`, {
      hint: 'only key ID 0 exists in current kopia; the index entry may be damaged',
    });
  }
  let plain: Buffer;
  try {
    plain = encryptor.decrypt(payload, contentIv(info.contentId));
  } catch (e) {
    throw new CorruptionError(
      `content ${info.contentId} in pack ${info.packBlobId} (offset ${info.packOffset}, ${info.packedLength} bytes) failed authentication`,
      { cause: e, hint: 'the pack blob is damaged; `cairn snapshot verify --read-data-percent 100` lists the affected files (restore the pack from a replica if you have one)' },
    );
  }
  if (info.compressionHeaderId === 0) return plain;
  let out: Buffer | undefined;
  try {
    out = decompressContent(plain, info.compressionHeaderId, info.originalLength, frameChecks);
    return out;
  } catch (e) {
    if (isCairnError(e) && e.code !== 'CORRUPT') throw e;
    throw new CorruptionError(
      `content ${info.contentId} in pack ${info.packBlobId} could not be decompressed (header 0x${info.compressionHeaderId.toString(16)})`,
      { cause: e, hint: 'the content does not match its index entry; `cairn snapshot verify --read-data-percent 100` lists the affected files' },
    );
  } finally {
    // the compressed plaintext is dead now; freed at once rather than by a GC after ~64 MiB (release-buffer.ts),
    // unless it is a view of the caller's payload (no encryption) or the output shares its memory
    if (plain.buffer !== payload.buffer && out?.buffer !== plain.buffer) releaseBuffer(plain);
  }
}

/** Reads the postamble of a pack; undefined when the pack has none or it is damaged. */
export async function readPackPostamble(store: BlobReader, packBlobId: string, packLength?: number): Promise<PackPostamble | undefined> {
  const length = packLength ?? (await store.stat(packBlobId)).length;
  const start = Math.max(0, length - LOCAL_INDEX_TAIL_SIZE);
  const tail = await store.get(packBlobId, { offset: start, length: length - start });
  return findPostamble(tail);
}

/**
 * The decrypted local index of a pack (its entries, as kopia's RecoverIndexFromPackBlob reads them).
 * Throws CorruptionError when the pack has no valid postamble or the local index fails authentication.
 */
export async function readPackLocalIndex(store: BlobReader, encryptor: ContentEncryptor, packBlobId: string, packLength?: number): Promise<Buffer> {
  const length = packLength ?? (await store.stat(packBlobId)).length;
  const start = Math.max(0, length - LOCAL_INDEX_TAIL_SIZE);
  let data = await store.get(packBlobId, { offset: start, length: length - start });
  let base = start;
  let p = findPostamble(data);
  if (p !== undefined && p.localIndexOffset < start) {
    data = await store.get(packBlobId);
    base = 0;
    p = findPostamble(data);
  }
  if (p === undefined || p.localIndexOffset - base + p.localIndexLength > data.length) {
    throw new CorruptionError(`pack ${packBlobId} has no valid postamble`, {
      hint: 'the pack was truncated or damaged; its contents can only be read through the index blobs',
    });
  }
  const rel = p.localIndexOffset - base;
  try {
    return encryptor.decrypt(data.subarray(rel, rel + p.localIndexLength), p.localIndexIv);
  } catch (e) {
    throw new CorruptionError(`local index of pack ${packBlobId} failed authentication`, {
      cause: e,
      hint: 'the pack blob is damaged; `cairn repository check` lists what is affected',
    });
  }
}

/** Index entries recovered from a pack's local index. */
export async function recoverPackEntries(store: BlobReader, encryptor: ContentEncryptor, packBlobId: string, packLength?: number): Promise<ContentInfo[]> {
  const bytes = await readPackLocalIndex(store, encryptor, packBlobId, packLength);
  const ix = openIndex(bytes, `local index of ${packBlobId}`, encryptor.overhead);
  const out: ContentInfo[] = [];
  for (let i = 0; i < ix.entryCount; i++) out.push(ix.info(i));
  return out;
}
