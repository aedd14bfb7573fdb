// Opens an existing repository's format: unlock `kopia.repository`, check the config as kopia does, read
// `kopia.blobcfg` (absent is fine), build hasher / encryptor / DeriveKey.
import type { BlobReader } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import { CorruptionError } from '../errors.ts';
import { buildRepositoryFormat } from './build-repository-format.ts';
import { NO_RETENTION, openBlobStorageConfig } from './blob-storage-config.ts';
import { checkRepositoryConfig } from './check-repository-config.ts';
import { BLOBCFG_BLOB_ID } from './format-blob-json.ts';
import type { BlobStorageConfig, RepositoryFormat } from './repository-config.ts';
import { unlockFormatBlob, type FormatKdfOptions } from './unlock-format-blob.ts';

export async function openRepositoryFormat(store: BlobReader, password: string, options: FormatKdfOptions = {}): Promise<RepositoryFormat> {
  // kopia.blobcfg is fetched while kopia.repository is read and unlocked (the key derivation runs on libuv's
  // threads): one storage round trip less before the repository opens. Its errors come after the unlock's.
  const blobcfg = readOptionalBlob(store, BLOBCFG_BLOB_ID);
  blobcfg.catch(() => undefined);
  const unlocked = await unlockFormatBlob(store, password, options);
  const { config, warnings } = checkRepositoryConfig(unlocked.config, store.description);
  const sealed = await blobcfg;
  let blobStorageConfig: BlobStorageConfig = NO_RETENTION;
  if (sealed !== undefined) {
    const where = `${BLOBCFG_BLOB_ID} at ${store.description}`;
    const opened = openBlobStorageConfig(sealed, unlocked.formatEncryptionKey, unlocked.json.uniqueId, where);
    if (opened === null) {
      throw new CorruptionError(`${where} cannot be decrypted with the key that opens kopia.repository`, {
        hint: 'if a password change was interrupted, run it again with the same old and new passwords',
      });
    }
    blobStorageConfig = opened;
  }
  return buildRepositoryFormat({
    uniqueId: unlocked.json.uniqueId,
    keyAlgo: unlocked.json.keyAlgo,
    config,
    blobStorageConfig,
    formatBlobBytes: unlocked.bytes,
    formatEncryptionKey: unlocked.formatEncryptionKey,
    warnings,
  });
}

export async function readOptionalBlob(store: BlobReader, id: string): Promise<Buffer | undefined> {
  try {
    return await store.get(id);
  } catch (e) {
    if (e instanceof BlobNotFoundError) return undefined;
    throw e;
  }
}
