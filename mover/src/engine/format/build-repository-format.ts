// Assembles the unlocked RepositoryFormat: hasher, encryptor and kopia's DeriveKey (repo/repository.go):
// HKDF(masterKey, salt = uniqueID, info = purpose) when the repository supports password changes (v2+),
// else HKDF(format encryption key, …) — kopia < 0.9 derived those keys from the password (a kept bug).
import { createEncryptor } from '../crypto/encryptors.ts';
import { createHasher } from '../crypto/hashers.ts';
import { deriveKeyFromMasterKey } from '../crypto/key-derivation.ts';
import type { BlobStorageConfig, RepositoryConfig, RepositoryFormat } from './repository-config.ts';

export interface FormatParts {
  readonly uniqueId: Buffer;
  readonly keyAlgo: string;
  readonly config: RepositoryConfig;
  readonly blobStorageConfig: BlobStorageConfig;
  readonly formatBlobBytes: Buffer;
  readonly formatEncryptionKey: Buffer;
  readonly warnings: readonly string[];
}

export function buildRepositoryFormat(p: FormatParts): RepositoryFormat {
  const hasher = createHasher(p.config.hash, p.config.hmacSecret);
  const encryptor = createEncryptor(p.config.encryption, p.config.masterKey);
  // as kopia does on open: prove the pair works on an empty payload
  const iv = hasher.hash(Buffer.alloc(0));
  encryptor.decrypt(encryptor.encrypt(Buffer.alloc(0), iv), iv);
  const derivationKey = p.config.enablePasswordChange ? p.config.masterKey : p.formatEncryptionKey;
  const warnings = [...p.warnings];
  if (p.blobStorageConfig.retentionMode !== '') {
    warnings.push(
      `kopia.blobcfg requests ${p.blobStorageConfig.retentionMode} object-lock retention for ` +
        `${Math.round(p.blobStorageConfig.retentionPeriodMs / 3_600_000)}h; Cairn does not set retention on the blobs it writes`,
    );
  }
  return {
    uniqueId: p.uniqueId,
    keyAlgo: p.keyAlgo,
    config: p.config,
    blobStorageConfig: p.blobStorageConfig,
    hasher,
    encryptor,
    formatBlobBytes: p.formatBlobBytes,
    warnings,
    deriveKey(purpose: string, length: number): Buffer {
      return deriveKeyFromMasterKey(derivationKey, p.uniqueId, purpose, length);
    },
  };
}
