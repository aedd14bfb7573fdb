// Whole-blob encryption (kopia internal/blobcrypto/blob_crypto.go), used for index blobs, session markers
// and log blobs. The blob's name carries the IV:
//   blobId = prefix ‖ hex(H(plaintext)) [‖ "-" ‖ suffix]
//   IV     = hexdecode(last 32 hex characters before the first "-")   (= last 16 bytes of the hash)
//   data   = encryptor.encrypt(plaintext, IV)
import { CorruptionError } from '../errors.ts';
import type { ContentEncryptor } from './content-encryptor.ts';
import type { KeyedHasher } from './keyed-hasher.ts';

const IV_HEX_CHARS = 32;
const HEX = /^[0-9a-fA-F]+$/;

export interface EncryptedBlob {
  readonly blobId: string;
  readonly data: Buffer;
}

/** Encrypts `plaintext` and names it; `suffix` may be empty (then no "-" is appended). */
export function encryptBlob(
  hasher: KeyedHasher,
  encryptor: ContentEncryptor,
  prefix: string,
  suffix: string,
  plaintext: Uint8Array,
): EncryptedBlob {
  const hash = hasher.hash(plaintext);
  const blobId = prefix + hash.toString('hex') + (suffix === '' ? '' : `-${suffix}`);
  return { blobId, data: encryptor.encrypt(plaintext, blobIv(blobId)) };
}

/** Decrypts a blob written by encryptBlob (or kopia); throws CorruptionError on a bad name or failed auth. */
export function decryptBlob(encryptor: ContentEncryptor, blobId: string, data: Uint8Array): Buffer {
  const iv = blobIv(blobId);
  try {
    return encryptor.decrypt(data, iv);
  } catch (e) {
    if (e instanceof CorruptionError) {
      throw new CorruptionError(`blob ${blobId}: ${e.message}`, { hint: e.hint, cause: e });
    }
    throw e;
  }
}

/** The 16-byte IV encoded in a blobcrypto name (kopia getIndexBlobIV). */
export function blobIv(blobId: string): Buffer {
  const dash = blobId.indexOf('-');
  const head = dash >= 0 ? blobId.slice(0, dash) : blobId;
  const hex = head.slice(head.length - IV_HEX_CHARS);
  if (head.length < IV_HEX_CHARS || !HEX.test(hex)) {
    throw new CorruptionError(`blob id "${blobId}" does not end in ${IV_HEX_CHARS} hex characters before its first "-"`, {
      hint: 'a blob with a foreign name was found where an encrypted repository blob was expected',
    });
  }
  return Buffer.from(hex, 'hex');
}
