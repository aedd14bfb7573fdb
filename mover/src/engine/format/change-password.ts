// Changes the repository password as kopia's format.Manager.ChangePassword does
// (repo/format/format_change_password.go): the same uniqueID and keyAlgo, a new format encryption key from the
// new password, the config re-sealed (here byte for byte as stored, so fields we do not model survive), then
// `kopia.blobcfg` rewritten under the new key, then `kopia.repository`. masterKey and secret are unchanged, so
// no content is touched. Each write replaces one blob atomically; if the run stops between the two, running
// it again with the same passwords completes it (the blobcfg is tried under both keys).
import type { BlobStore } from '../blob/blob-store.ts';
import { sealAesGcmEnvelope } from '../crypto/aes-gcm-envelope.ts';
import { derivePasswordKey } from '../crypto/key-derivation.ts';
import { CairnError, CorruptionError } from '../errors.ts';
import { NO_RETENTION, openBlobStorageConfig, sealBlobStorageConfig } from './blob-storage-config.ts';
import { checkRepositoryConfig } from './check-repository-config.ts';
import { BLOBCFG_BLOB_ID, FORMAT_BLOB_ID, serializeFormatBlob } from './format-blob-json.ts';
import { InvalidFormatOptionError } from './format-errors.ts';
import { readOptionalBlob } from './open-repository-format.ts';
import type { BlobStorageConfig } from './repository-config.ts';
import { FORMAT_KEY_LENGTH, unlockFormatBlob, type FormatKdfOptions } from './unlock-format-blob.ts';

export async function changeRepositoryPassword(
  store: BlobStore,
  oldPassword: string,
  newPassword: string,
  options: FormatKdfOptions = {},
): Promise<void> {
  if (newPassword === '') throw new InvalidFormatOptionError('new password', 'must not be empty', 'provide a non-empty new password');
  const unlocked = await unlockFormatBlob(store, oldPassword, options);
  const { config } = checkRepositoryConfig(unlocked.config, store.description);
  if (!config.enablePasswordChange) {
    throw new CairnError('UNSUPPORTED', `the repository at ${store.description} does not support password changes (created by kopia v0.8 or older)`, {
      hint: 'keep the current password, or copy the snapshots into a new repository',
    });
  }
  const { json } = unlocked;
  const kdf = options.passwordKeyDeriver ?? derivePasswordKey;
  const newKey = await kdf(json.keyAlgo, newPassword, json.uniqueId, FORMAT_KEY_LENGTH);

  let blobStorageConfig: BlobStorageConfig = NO_RETENTION;
  const sealedCfg = await readOptionalBlob(store, BLOBCFG_BLOB_ID);
  if (sealedCfg !== undefined) {
    const where = `${BLOBCFG_BLOB_ID} at ${store.description}`;
    const opened =
      openBlobStorageConfig(sealedCfg, unlocked.formatEncryptionKey, json.uniqueId, where) ??
      openBlobStorageConfig(sealedCfg, newKey, json.uniqueId, where);
    if (opened === null) {
      throw new CorruptionError(`${where} cannot be decrypted with the repository's password`, {
        hint: `the blob is damaged; if the repository uses no object-lock retention, deleting ${BLOBCFG_BLOB_ID} is safe`,
      });
    }
    blobStorageConfig = opened;
  }

  const rewritten = serializeFormatBlob({
    ...json,
    encryptedBlockFormat: sealAesGcmEnvelope(newKey, json.uniqueId, unlocked.plaintext),
  });
  await store.put(BLOBCFG_BLOB_ID, sealBlobStorageConfig(blobStorageConfig, newKey, json.uniqueId));
  await store.put(FORMAT_BLOB_ID, rewritten);
}
