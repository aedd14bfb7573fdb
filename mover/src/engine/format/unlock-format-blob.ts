// Reads `kopia.repository` and opens its sealed config with the password (kopia repo/format
// format_manager.go refresh, format_blob.go, repository_config.go decryptRepositoryConfig).
import type { BlobReader } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import { AES_GCM_ENVELOPE_OVERHEAD, openAesGcmEnvelope } from '../crypto/aes-gcm-envelope.ts';
import { derivePasswordKey, type PasswordKeyDeriver } from '../crypto/key-derivation.ts';
import { CorruptionError } from '../errors.ts';
import { BLOBCFG_BLOB_ID, FORMAT_BLOB_ENCRYPTION, FORMAT_BLOB_ID, UNIQUE_ID_LENGTH, parseFormatBlob, type FormatBlobJson } from './format-blob-json.ts';
import { RepositoryNotFoundError, WrongPasswordError } from './format-errors.ts';
import type { PasswordKeyCache } from './password-key-cache.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { decodeRepositoryConfig } from './repository-config-json.ts';

export interface FormatKdfOptions {
  /**
   * Test seam: replaces the password KDF so unit tests of unrelated logic skip scrypt's cost. Never wired to
   * user input; production callers leave it unset.
   */
  readonly passwordKeyDeriver?: PasswordKeyDeriver;
  /** A local copy of the format key sealed with the password (password-key-cache.ts): skips the KDF when it opens. */
  readonly keyCache?: PasswordKeyCache;
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
  const damaged = (what: string): CorruptionError => new CorruptionError(`${FORMAT_BLOB_ID} at ${store.description} is damaged: ${what}`, {
    hint: 'restore kopia.repository from a copy of the repository (kopia keeps kopia.repository.backup.* during upgrades)',
  });
  // kopia has only ever sealed the format blob one way: anything else is damage, not a newer format
  if (json.encryption !== FORMAT_BLOB_ENCRYPTION) throw damaged(`it says it is sealed with "${json.encryption}"; kopia only uses ${FORMAT_BLOB_ENCRYPTION}`);
  if (json.encryptedBlockFormat.length === 0) throw damaged('it has no encryptedBlockFormat');
  if (json.uniqueId.length !== UNIQUE_ID_LENGTH) throw damaged(`its uniqueID has ${json.uniqueId.length} bytes, not ${UNIQUE_ID_LENGTH}`);
  if (json.encryptedBlockFormat.length <= AES_GCM_ENVELOPE_OVERHEAD) throw damaged(`its encryptedBlockFormat has only ${json.encryptedBlockFormat.length} bytes`);
  return { bytes, json };
}

export async function unlockFormatBlob(store: BlobReader, password: string, options: FormatKdfOptions = {}): Promise<UnlockedFormatBlob> {
  const { bytes, json } = await readFormatBlob(store);
  const { key: formatEncryptionKey, plaintext } = await openSealedConfig(store, json, password, options);
  const config = decodeRepositoryConfig(plaintext, `${FORMAT_BLOB_ID} at ${store.description}`);
  return { bytes, json, formatEncryptionKey, plaintext, config };
}

/** The format key and the config it opens: the cached key when it opens the config, else the password KDF's. */
async function openSealedConfig(store: BlobReader, json: FormatBlobJson, password: string, options: FormatKdfOptions): Promise<{ key: Buffer; plaintext: Buffer }> {
  const { keyCache } = options;
  const cached = await keyCache?.load(json.keyAlgo, password, json.uniqueId).catch(() => undefined);
  if (cached !== undefined) {
    const plaintext = openAesGcmEnvelope(cached, json.uniqueId, json.encryptedBlockFormat);
    if (plaintext !== null) return { key: cached, plaintext };
  }
  const kdf = options.passwordKeyDeriver ?? derivePasswordKey;
  const key = await kdf(json.keyAlgo, password, json.uniqueId, FORMAT_KEY_LENGTH);
  const plaintext = openAesGcmEnvelope(key, json.uniqueId, json.encryptedBlockFormat);
  if (plaintext === null) throw await wrongPasswordOrDamage(store, json, key);
  await keyCache?.store(json.keyAlgo, password, json.uniqueId, key);
  return { key, plaintext };
}

/**
 * Authentication of the sealed config failed: a wrong password, or a damaged kopia.repository. kopia.blobcfg
 * is sealed with the same key, so when the key opens it, the password is right and kopia.repository is
 * damaged. When both fail (or there is no kopia.blobcfg) the password is most likely wrong.
 */
async function wrongPasswordOrDamage(store: BlobReader, json: FormatBlobJson, key: Buffer): Promise<Error> {
  let blobcfg: Buffer | undefined;
  try {
    blobcfg = await store.get(BLOBCFG_BLOB_ID);
  } catch (e) {
    if (!(e instanceof BlobNotFoundError)) throw e;
  }
  if (blobcfg !== undefined && openAesGcmEnvelope(key, json.uniqueId, blobcfg) !== null) {
    return new CorruptionError(`${FORMAT_BLOB_ID} at ${store.description} is damaged: its sealed configuration fails authentication, although the password opens ${BLOBCFG_BLOB_ID}`, {
      hint: 'the password is right; restore kopia.repository from a copy of the repository (kopia keeps kopia.repository.backup.* during upgrades)',
    });
  }
  return new WrongPasswordError(store.description, FORMAT_BLOB_ID);
}
