// The decrypted repository configuration inside `kopia.repository` (kopia repo/format/repository_config.go,
// content_format.go, object_format.go). Field names here are ours; the JSON codec maps them to kopia's keys.

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

export interface RepositoryConfig {
  readonly hash: string; // e.g. "HMAC-SHA256-128", "BLAKE2B-256-128"
  readonly encryption: string; // e.g. "AES256-GCM-HMAC-SHA256"
  readonly ecc: string; // "" when disabled
  readonly eccOverheadPercent: number;
  readonly hmacSecret: Buffer; // JSON "secret"
  readonly masterKey: Buffer;
  readonly version: number; // 1..3
  readonly maxPackSize: number;
  readonly indexVersion: number; // 1 or 2
  readonly epochParameters: EpochParameters;
  readonly enablePasswordChange: boolean;
  readonly splitter: string; // e.g. "DYNAMIC-4M-BUZHASH"
  readonly upgradeLock?: unknown;
  readonly requiredFeatures?: readonly unknown[];
}

/** Everything a repository needs after the password unlocked `kopia.repository`. */
export interface RepositoryFormat {
  readonly uniqueId: Buffer; // 32 bytes, salt for key derivation
  readonly keyAlgo: string; // e.g. "scrypt-65536-8-1"
  readonly config: RepositoryConfig;
  /** Derives a purpose-specific key as kopia's DeriveKey does (repo/repository.go). */
  deriveKey(purpose: string, length: number): Buffer;
}
