// Layer: format. Reads and writes the two central blobs of a kopia repository. Guarantees:
// - `kopia.repository` is kopia's KopiaRepositoryJSON (repo/format/format_blob.go): pretty JSON whose
//   `encryptedBlockFormat` is the repository config sealed with a key derived from the password
//   (internal/crypto/{aesgcm,pb_key_derivers}.go); `kopia.blobcfg` is sealed the same way (blobcfg_blob.go);
// - what we write kopia opens, what kopia writes we open, and fields we do not model survive a rewrite;
// - open validates like kopia (format_provider.go, repo/open.go): version 1..3, index 1..2, known hash and
//   encryption, required features understood, no upgrade lock held;
// - creation commits with a single conditional write of `kopia.repository` (repo/initialize.go).
// The decrypted repository configuration (repository_config.go, content_format.go, object_format.go). Field
// names here are ours; the JSON codec (repository-config-json.ts) maps them to kopia's keys.
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';

/** kopia internal/epoch Parameters. Durations are in milliseconds here, nanoseconds in the JSON. */
export interface EpochParameters {
  readonly enabled: boolean;
  readonly epochRefreshFrequencyMs: number;
  readonly fullCheckpointFrequency: number;
  readonly cleanupSafetyMarginMs: number;
  readonly minEpochDurationMs: number;
  readonly epochAdvanceOnCountThreshold: number;
  readonly epochAdvanceOnTotalSizeBytesThreshold: number;
  readonly deleteParallelism: number;
}

/** kopia internal/feature Required: a feature a client must understand to open the repository. */
export interface RequiredFeature {
  readonly feature: string;
  readonly ifNotUnderstood: {
    /** True: a client that lacks the feature warns and goes on; false: it must refuse to open. */
    readonly warn: boolean;
    readonly message?: string;
    readonly url?: string;
    readonly upgradeToVersion?: string;
  };
}

/** kopia repo/format UpgradeLockIntent (durations in milliseconds here). */
export interface UpgradeLockIntent {
  readonly ownerId: string;
  /** RFC 3339 as kopia wrote it. */
  readonly creationTime: string;
  readonly advanceNoticeDurationMs: number;
  readonly ioDrainTimeoutMs: number;
  readonly statusPollIntervalMs: number;
  readonly message: string;
  readonly maxPermittedClockDriftMs: number;
}

export interface RepositoryConfig {
  readonly hash: string; // e.g. "HMAC-SHA256-128", "BLAKE2B-256-128"
  readonly encryption: string; // e.g. "AES256-GCM-HMAC-SHA256"
  readonly ecc: string; // "" when disabled
  readonly eccOverheadPercent: number;
  readonly hmacSecret: Buffer; // JSON "secret"; empty when the repository was created without HMAC
  readonly masterKey: Buffer;
  readonly version: number; // 1..3
  readonly maxPackSize: number;
  readonly indexVersion: number; // 1 or 2 (0 in the JSON means 1)
  readonly epochParameters: EpochParameters;
  readonly enablePasswordChange: boolean;
  readonly splitter: string; // e.g. "DYNAMIC-4M-BUZHASH"
  readonly upgradeLock?: UpgradeLockIntent;
  readonly requiredFeatures?: readonly RequiredFeature[];
}

/** `kopia.blobcfg`: object-lock retention for new blobs ("" and 0 when retention is off). */
export interface BlobStorageConfig {
  readonly retentionMode: string; // "", "GOVERNANCE", "COMPLIANCE"
  readonly retentionPeriodMs: number;
}

/** Everything a repository needs after the password unlocked `kopia.repository`. */
export interface RepositoryFormat {
  readonly uniqueId: Buffer; // 32 bytes, salt for key derivation
  readonly keyAlgo: string; // e.g. "scrypt-65536-8-1"
  readonly config: RepositoryConfig;
  readonly blobStorageConfig: BlobStorageConfig;
  /** The content hash built from config.hash and config.hmacSecret. */
  readonly hasher: KeyedHasher;
  /** The content AEAD built from config.encryption and config.masterKey. */
  readonly encryptor: ContentEncryptor;
  /** The raw `kopia.repository` bytes (format v1 replicates them into every pack). */
  readonly formatBlobBytes: Buffer;
  /** Non-fatal findings, e.g. a required feature kopia marks "warn". */
  readonly warnings: readonly string[];
  /** Derives a purpose-specific key as kopia's DeriveKey does (repo/repository.go). */
  deriveKey(purpose: string, length: number): Buffer;
}
