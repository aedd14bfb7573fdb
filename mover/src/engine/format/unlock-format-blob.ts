// Reads `kopia.repository` and opens its sealed config with the password (kopia repo/format
// format_manager.go refresh, format_blob.go, repository_config.go decryptRepositoryConfig).
import type { BlobReader } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import { openAesGcmEnvelope } from '../crypto/aes-gcm-envelope.ts';
import { derivePasswordKey, type PasswordKeyDeriver } from '../crypto/key-derivation.ts';
import { CorruptionError, UnsupportedError } from '../errors.ts';
import { FORMAT_BLOB_ENCRYPTION, FORMAT_BLOB_ID, parseFormatBlob, type FormatBlobJson } from './format-blob-json.ts';
import { RepositoryNotFoundError, WrongPasswordError } from './format-errors.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { decodeRepositoryConfig } from './repository-config-json.ts';

export interface FormatKdfOptions {
  /**
   * Test seam: replaces the password KDF so unit tests of unrelated logic skip scrypt's cost. Never wired to
   * user input; production callers leave it unset.
   */
  readonly passwordKeyDeriver?: PasswordKeyDeriver;
}

export interface UnlockedFormatBlob {
  readonly bytes: Buffer;
  readonly json: FormatBlobJson;
  readonly formatEncryptionKey: Buffer;
  /** The decrypted config exactly as stored (re-sealed byte for byte on a password change). */
  readonly plaintext: Buffer;
  /** As decoded, before kopia's read defaults. */
  readonly config: RepositoryConfig;
}

export const FORMAT_KEY_LENGTH = 32;

export async function readFormatBlob(store: BlobReader): Promise<{ bytes: Buffer; json: FormatBlobJson }> {
  let bytes: Buffer;
  try {
    bytes = await store.get(FORMAT_BLOB_ID);
  } catch (e) {
    if (e instanceof BlobNotFoundError) throw new RepositoryNotFoundError(store.description, { cause: e });
    throw e;
  }
  const json = parseFormatBlob(bytes, store.description);
  if (json.encryption !== FORMAT_BLOB_ENCRYPTION) {
    throw new UnsupportedError(`${FORMAT_BLOB_ID} at ${store.description} is sealed with "${json.encryption}"; only ${FORMAT_BLOB_ENCRYPTION} exists in kopia`, {
      hint: 'the format blob is damaged or was written by an incompatible tool',
    });
  }
  if (json.encryptedBlockFormat.length === 0) {
    throw new CorruptionError(`${FORMAT_BLOB_ID} at ${store.description} has no encryptedBlockFormat`, {
      hint: 'the format blob is damaged; restore it from a backup copy (kopia keeps kopia.repository.backup.* during upgrades)',
    });
  }
  return { bytes, json };
}

export async function unlockFormatBlob(store: BlobReader, password: string, options: FormatKdfOptions = {}): Promise<UnlockedFormatBlob> {
  const { bytes, json } = await readFormatBlob(store);
  const kdf = options.passwordKeyDeriver ?? derivePasswordKey;
  const formatEncryptionKey = await kdf(json.keyAlgo, password, json.uniqueId, FORMAT_KEY_LENGTH);
  const plaintext = openAesGcmEnvelope(formatEncryptionKey, json.uniqueId, json.encryptedBlockFormat);
  if (plaintext === null) throw new WrongPasswordError(store.description, FORMAT_BLOB_ID);
  const config = decodeRepositoryConfig(plaintext, `${FORMAT_BLOB_ID} at ${store.description}`);
  return { bytes, json, formatEncryptionKey, plaintext, config };
}
