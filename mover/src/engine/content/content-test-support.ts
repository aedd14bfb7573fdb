// Test helpers for the content layer: a RepositoryFormat with kopia's defaults and fresh random keys.
// Used by *.test.ts only.
import { randomBytes } from 'node:crypto';
import { deriveKeyFromMasterKey } from '../crypto/key-derivation.ts';
import type { EpochParameters, RepositoryConfig, RepositoryFormat } from '../format/repository-config.ts';

export const DEFAULT_EPOCH_PARAMETERS: EpochParameters = {
  enabled: true,
  epochRefreshFrequencyMs: 20 * 60_000,
  fullCheckpointFrequency: 7,
  cleanupSafetyMarginMs: 4 * 3600_000,
  minEpochDurationMs: 24 * 3600_000,
  epochAdvanceOnCountThreshold: 20,
  epochAdvanceOnTotalSizeBytesThreshold: 10 << 20,
  deleteParallelism: 4,
};

export function testRepositoryFormat(overrides: Partial<RepositoryConfig> = {}): RepositoryFormat {
  const uniqueId = randomBytes(32);
  const config: RepositoryConfig = {
    hash: 'HMAC-SHA256-128',
    encryption: 'AES256-GCM-HMAC-SHA256',
    ecc: '',
    eccOverheadPercent: 0,
    hmacSecret: randomBytes(32),
    masterKey: randomBytes(32),
    version: 3,
    maxPackSize: 20 << 20,
    indexVersion: 2,
    epochParameters: DEFAULT_EPOCH_PARAMETERS,
    enablePasswordChange: true,
    splitter: 'DYNAMIC-4M-BUZHASH',
    ...overrides,
  };
  return {
    uniqueId,
    keyAlgo: 'scrypt-65536-8-1',
    config,
    deriveKey: (purpose, length) => deriveKeyFromMasterKey(config.masterKey, uniqueId, purpose, length),
  };
}
