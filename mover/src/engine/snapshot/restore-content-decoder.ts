// Decodes a content's payload as stored in a pack (kopia repo/content/committed_read_manager.go
// decryptContentAndVerify): AEAD-open with IV/AAD = the last 16 bytes of the content hash, then, when the
// index records a compression header id, strip the 4-byte header and decompress. Restore and verify read
// whole ranges of a pack with one GET and decode each content here, instead of one GET per content.
import { decompressContent } from '../compression/compressors.ts';
import type { ContentInfo } from '../content/content-info.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { CorruptionError, isCairnError, UnsupportedError } from '../errors.ts';

const IV_SIZE = 16;

/** The per-content IV: the last 16 bytes of the hash part of the content ID. */
export function contentIv(contentId: string): Buffer {
  const hex = contentId.length % 2 === 1 ? contentId.slice(1) : contentId;
  const hash = Buffer.from(hex, 'hex');
  if (hash.length * 2 !== hex.length || hash.length === 0) {
    throw new CorruptionError(`content ID ${JSON.stringify(contentId)} is not hexadecimal`, {
      hint: 'The index or a directory listing is damaged; run `cairn snapshot verify`.',
    });
  }
  return hash.length > IV_SIZE ? hash.subarray(hash.length - IV_SIZE) : hash;
}

/** Decrypts (and decompresses) one content's stored bytes; CorruptionError names the content and pack. */
export function decodeContentPayload(info: ContentInfo, payload: Uint8Array, encryptor: ContentEncryptor): Buffer {
  if (info.encryptionKeyId !== 0) {
    throw new UnsupportedError(`content ${info.contentId} uses encryption key id ${info.encryptionKeyId}`, {
      hint: 'The repository was written by a newer kopia; restore it with the kopia CLI.',
    });
  }
  try {
    const plain = encryptor.decrypt(payload, contentIv(info.contentId));
    if (info.compressionHeaderId === 0) return plain;
    return decompressContent(plain, info.compressionHeaderId, info.originalLength);
  } catch (e) {
    if (isCairnError(e) && e.code === 'UNSUPPORTED') throw e;
    throw new CorruptionError(
      `content ${info.contentId} in pack ${info.packBlobId} at offset ${info.packOffset} (${info.packedLength} bytes) cannot be decoded: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e, hint: 'The pack is damaged; run `cairn snapshot verify` to list the affected files.' },
    );
  }
}
