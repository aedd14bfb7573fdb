// Creates a new repository's format blobs as kopia's repo.Initialize / format.Initialize do: refuse when
// `kopia.repository` (or a stray `kopia.blobcfg`) exists, then write `kopia.blobcfg`, then commit with a
// conditional write of `kopia.repository`.
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../blob/blob-store.ts';
import { BlobExistsError } from '../blob/blob-errors.ts';
import { sealAesGcmEnvelope } from '../crypto/aes-gcm-envelope.ts';
import { DEFAULT_ENCRYPTION, ENCRYPTION_ALGORITHMS, isEncryptionAlgorithm } from '../crypto/encryptors.ts';
import { DEFAULT_HASH, HASH_ALGORITHMS, isHashAlgorithm } from '../crypto/hashers.ts';
import { DEFAULT_PASSWORD_KDF, PASSWORD_KDF_ALGORITHMS, derivePasswordKey, isPasswordKdfAlgorithm } from '../crypto/key-derivation.ts';
import { CairnError } from '../errors.ts';
import { buildRepositoryFormat } from './build-repository-format.ts';
import { NO_RETENTION, sealBlobStorageConfig } from './blob-storage-config.ts';
import {
  DEFAULT_EPOCH_PARAMETERS,
  DEFAULT_MAX_PACK_SIZE,
  DEFAULT_SPLITTER,
  FORMAT_VERSION,
  HMAC_SECRET_LENGTH,
  INDEX_VERSION,
  MASTER_KEY_LENGTH,
  MAX_PACK_SIZE,
  MIN_PACK_SIZE,
  SPLITTER_NAMES,
  epochParametersProblem,
} from './format-defaults.ts';
import { BLOBCFG_BLOB_ID, FORMAT_BLOB_ENCRYPTION, FORMAT_BLOB_ID, UNIQUE_ID_LENGTH, serializeFormatBlob } from './format-blob-json.ts';
import { InvalidFormatOptionError, RepositoryExistsError } from './format-errors.ts';
import { readOptionalBlob } from './open-repository-format.ts';
import type { EpochParameters, RepositoryConfig, RepositoryFormat } from './repository-config.ts';
import { encodeRepositoryConfig } from './repository-config-json.ts';
import { FORMAT_KEY_LENGTH, type FormatKdfOptions } from './unlock-format-blob.ts';

export interface CreateFormatOptions extends FormatKdfOptions {
  readonly hash?: string; // default HMAC-SHA256-128
  readonly encryption?: string; // default AES256-GCM-HMAC-SHA256
  readonly splitter?: string; // default DYNAMIC-4M-BUZHASH
  readonly maxPackSize?: number; // default 20 MiB, kopia allows 10..120 MiB
  readonly keyAlgo?: string; // default scrypt-65536-8-1
  readonly epochParameters?: EpochParameters; // default kopia's
  /** Informational fields of kopia.repository (kopia writes its URL, version and build info). */
  readonly tool?: string;
  readonly buildVersion?: string;
  readonly buildInfo?: string;
}

export const DEFAULT_TOOL = 'cairn';

export async function createRepositoryFormat(store: BlobStore, password: string, options: CreateFormatOptions = {}): Promise<RepositoryFormat> {
  const config = configFromOptions(options);
  const keyAlgo = options.keyAlgo ?? DEFAULT_PASSWORD_KDF;
  if (!isPasswordKdfAlgorithm(keyAlgo)) {
    throw new InvalidFormatOptionError('key derivation', `unknown algorithm "${keyAlgo}"`, `use one of ${PASSWORD_KDF_ALGORITHMS.join(', ')}`);
  }
  if (password === '') throw new InvalidFormatOptionError('password', 'must not be empty', 'provide a repository password');

  if ((await readOptionalBlob(store, FORMAT_BLOB_ID)) !== undefined) {
    throw new RepositoryExistsError(store.description, FORMAT_BLOB_ID);
  }
  if ((await readOptionalBlob(store, BLOBCFG_BLOB_ID)) !== undefined) {
    throw new CairnError('REPO_EXISTS', `${BLOBCFG_BLOB_ID} exists at ${store.description} but ${FORMAT_BLOB_ID} does not`, {
      hint: `if no repository should be there (an earlier creation was interrupted), delete ${BLOBCFG_BLOB_ID} and retry`,
    });
  }

  // kopia's ensureEmpty: a new repository goes where no blob is (a bucket prefix holding other objects
  // belongs to something else, and maintenance would later judge them as unreferenced packs)
  for await (const b of store.list('')) {
    throw new CairnError('REFUSED', `refusing to create a repository at ${store.description}: it already holds data (${b.id})`, {
      hint: 'create the repository under a new or empty prefix or directory',
    });
  }

  const uniqueId = randomBytes(UNIQUE_ID_LENGTH);
  const kdf = options.passwordKeyDeriver ?? derivePasswordKey;
  const formatEncryptionKey = await kdf(keyAlgo, password, uniqueId, FORMAT_KEY_LENGTH);
  const json = {
    tool: options.tool ?? DEFAULT_TOOL,
    buildVersion: options.buildVersion ?? '',
    buildInfo: options.buildInfo ?? '',
    uniqueId,
    keyAlgo,
    encryption: FORMAT_BLOB_ENCRYPTION,
    encryptedBlockFormat: sealAesGcmEnvelope(formatEncryptionKey, uniqueId, encodeRepositoryConfig(config)),
    unknown: {},
  };
  const formatBlobBytes = serializeFormatBlob(json);
  try {
    await store.put(BLOBCFG_BLOB_ID, sealBlobStorageConfig(NO_RETENTION, formatEncryptionKey, uniqueId), { ifNotExists: true });
  } catch (e) {
    if (e instanceof BlobExistsError) throw new RepositoryExistsError(store.description, e.blobId, { cause: e });
    throw e;
  }
  try {
    await store.put(FORMAT_BLOB_ID, formatBlobBytes, { ifNotExists: true });
  } catch (e) {
    if (e instanceof BlobExistsError) throw new RepositoryExistsError(store.description, e.blobId, { cause: e });
    // An empty blobcfg may always be absent (kopia reads that as "no retention"): removing ours lets a retry
    // start clean even if the write above did land and only its answer was lost.
    await store.delete(BLOBCFG_BLOB_ID).catch(() => undefined);
    throw e;
  }
  await options.keyCache?.store(keyAlgo, password, uniqueId, formatEncryptionKey);
  return buildRepositoryFormat({
    uniqueId,
    keyAlgo,
    config,
    blobStorageConfig: NO_RETENTION,
    formatBlobBytes,
    formatEncryptionKey,
    warnings: [],
  });
}

/** Validates the options (errors name the option and the accepted values) and fills kopia's defaults. */
function configFromOptions(o: CreateFormatOptions): RepositoryConfig {
  const hash = o.hash ?? DEFAULT_HASH;
  if (!isHashAlgorithm(hash)) {
    throw new InvalidFormatOptionError('hash', `unknown algorithm "${hash}"`, `use one of ${HASH_ALGORITHMS.join(', ')}`);
  }
  const encryption = o.encryption ?? DEFAULT_ENCRYPTION;
  if (!isEncryptionAlgorithm(encryption)) {
    throw new InvalidFormatOptionError('encryption', `unknown algorithm "${encryption}"`, `use one of ${ENCRYPTION_ALGORITHMS.join(', ')}`);
  }
  const splitter = o.splitter ?? DEFAULT_SPLITTER;
  if (!SPLITTER_NAMES.includes(splitter)) {
    throw new InvalidFormatOptionError('splitter', `unknown splitter "${splitter}"`, `use one of ${SPLITTER_NAMES.join(', ')}`);
  }
  const maxPackSize = o.maxPackSize ?? DEFAULT_MAX_PACK_SIZE;
  if (!Number.isSafeInteger(maxPackSize) || maxPackSize < MIN_PACK_SIZE || maxPackSize > MAX_PACK_SIZE) {
    throw new InvalidFormatOptionError('max pack size', `${maxPackSize} bytes is outside ${MIN_PACK_SIZE}..${MAX_PACK_SIZE}`, 'use 10 MiB to 120 MiB (default 20 MiB)');
  }
  const epochParameters = o.epochParameters ?? DEFAULT_EPOCH_PARAMETERS;
  const problem = epochParametersProblem(epochParameters);
  if (!epochParameters.enabled || problem !== undefined) {
    throw new InvalidFormatOptionError('epoch parameters', problem ?? 'epochs must be enabled for format version 3', "omit them to use kopia's defaults");
  }
  return {
    hash,
    encryption,
    ecc: '',
    eccOverheadPercent: 0,
    hmacSecret: randomBytes(HMAC_SECRET_LENGTH),
    masterKey: randomBytes(MASTER_KEY_LENGTH),
    version: FORMAT_VERSION,
    maxPackSize,
    indexVersion: INDEX_VERSION,
    epochParameters,
    enablePasswordChange: true,
    splitter,
  };
}
