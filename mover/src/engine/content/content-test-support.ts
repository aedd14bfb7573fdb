// Test helpers for the content layer: an unlocked RepositoryFormat with kopia's defaults and fresh random
// keys, built the way the format layer builds one. Used by *.test.ts only.
import { randomBytes } from 'node:crypto';
import { buildRepositoryFormat } from '../format/build-repository-format.ts';
import { DEFAULT_EPOCH_PARAMETERS } from '../format/format-defaults.ts';
import type { RepositoryConfig, RepositoryFormat } from '../format/repository-config.ts';

export function testRepositoryFormat(overrides: Partial<RepositoryConfig> = {}): RepositoryFormat {
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
  return buildRepositoryFormat({
    uniqueId: randomBytes(32),
    keyAlgo: 'scrypt-65536-8-1',
    config,
    blobStorageConfig: { retentionMode: '', retentionPeriodMs: 0 },
    formatBlobBytes: Buffer.from('{"tool":"https://github.com/kopia/kopia","uniqueID":"test"}\n'),
    formatEncryptionKey: randomBytes(32),
    warnings: [],
  });
}
