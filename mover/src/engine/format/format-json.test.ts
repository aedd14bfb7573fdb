import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openAesGcmEnvelope } from '../crypto/aes-gcm-envelope.ts';
import { derivePasswordKey } from '../crypto/key-derivation.ts';
import { CorruptionError } from '../errors.ts';
import { decodeBlobStorageConfig, encodeBlobStorageConfig } from './blob-storage-config.ts';
import { parseFormatBlob, serializeFormatBlob } from './format-blob-json.ts';
import { decodeRepositoryConfig, encodeRepositoryConfig } from './repository-config-json.ts';

const fixture = (dir: string, blob: string): Buffer => readFileSync(new URL(`./testdata/${dir}/${blob}`, import.meta.url));
const KOPIA_DEFAULT = 'kopia-0.22.3-default';

let plaintext: Buffer | undefined;
async function kopiaPlaintext(): Promise<Buffer> {
  if (plaintext !== undefined) return plaintext;
  const j = parseFormatBlob(fixture(KOPIA_DEFAULT, 'kopia.repository'), 'fixture');
  const key = await derivePasswordKey(j.keyAlgo, 'correct horse battery staple', j.uniqueId, 32);
  const pt = openAesGcmEnvelope(key, j.uniqueId, j.encryptedBlockFormat);
  if (pt === null) throw new Error('fixture did not open');
  plaintext = pt;
  return pt;
}

describe('kopia.repository outer JSON', () => {
  it('parses the blob kopia wrote', () => {
    const j = parseFormatBlob(fixture(KOPIA_DEFAULT, 'kopia.repository'), 'fixture');
    expect(j.tool).toBe('https://github.com/kopia/kopia');
    expect(j.keyAlgo).toBe('scrypt-65536-8-1');
    expect(j.encryption).toBe('AES256_GCM');
    expect(j.uniqueId.toString('base64')).toBe('7HzhqP6qk8KwZNKRSYi+D6rTngLkWPxBLXkJy/M17sE=');
    expect(j.encryptedBlockFormat.length).toBeGreaterThan(28);
    expect(j.unknown).toEqual({});
  });

  it('re-serializes kopia\'s blob byte for byte (2-space indent, key order, trailing newline)', () => {
    for (const dir of [KOPIA_DEFAULT, 'kopia-0.22.3-pbkdf2']) {
      const bytes = fixture(dir, 'kopia.repository');
      expect(serializeFormatBlob(parseFormatBlob(bytes, dir)).equals(bytes)).toBe(true);
    }
  });

  it('keeps members it does not know and matches keys case-insensitively like Go', () => {
    const doc = Buffer.from(JSON.stringify({ Tool: 't', uniqueid: Buffer.alloc(32, 1).toString('base64'), keyAlgo: 'k', encryption: 'AES256_GCM', futureThing: { a: 1 } }));
    const j = parseFormatBlob(doc, 'x');
    expect(j.tool).toBe('t');
    expect(j.uniqueId).toEqual(Buffer.alloc(32, 1));
    expect(j.unknown).toEqual({ futureThing: { a: 1 } });
    const out = serializeFormatBlob(j).toString();
    expect(out.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out)).toEqual({
      tool: 't', buildVersion: '', buildInfo: '', uniqueID: Buffer.alloc(32, 1).toString('base64'),
      keyAlgo: 'k', encryption: 'AES256_GCM', futureThing: { a: 1 },
    });
  });

  it('rejects malformed documents with CorruptionError', () => {
    expect(() => parseFormatBlob(Buffer.from('not json'), 'x')).toThrow(CorruptionError);
    expect(() => parseFormatBlob(Buffer.from('[]'), 'x')).toThrow(CorruptionError);
    expect(() => parseFormatBlob(Buffer.from('{"uniqueID":"***"}'), 'x')).toThrow(/uniqueID/);
    expect(() => parseFormatBlob(Buffer.from('{"tool":5}'), 'x')).toThrow(/tool/);
  });
});

describe('repository config JSON', () => {
  it('decodes the config kopia wrote (hand-checked values)', async () => {
    const c = decodeRepositoryConfig(await kopiaPlaintext(), 'fixture');
    expect(c.hash).toBe('BLAKE2B-256-128');
    expect(c.encryption).toBe('AES256-GCM-HMAC-SHA256');
    expect(c.ecc).toBe('');
    expect(c.eccOverheadPercent).toBe(0);
    expect(c.hmacSecret.toString('base64')).toBe('MxeXK75/ko74TpeUdoIBm4NA8XbQhkfOa+dNhvF+V7I=');
    expect(c.masterKey.toString('base64')).toBe('ENP8bnEWx9BWmsaPZN+HIIWuQOqa0S1J7ZAkyWhbm8o=');
    expect(c.version).toBe(3);
    expect(c.maxPackSize).toBe(20 * 1024 * 1024);
    expect(c.indexVersion).toBe(2);
    expect(c.epochParameters).toEqual({
      enabled: true,
      epochRefreshFrequencyMs: 20 * 60_000,
      fullCheckpointFrequency: 7,
      cleanupSafetyMarginMs: 4 * 3_600_000,
      minEpochDurationMs: 24 * 3_600_000,
      epochAdvanceOnCountThreshold: 20,
      epochAdvanceOnTotalSizeBytesThreshold: 10 * 1024 * 1024,
      deleteParallelism: 4,
    });
    expect(c.enablePasswordChange).toBe(true);
    expect(c.splitter).toBe('DYNAMIC-4M-BUZHASH');
    expect(c.upgradeLock).toBeUndefined();
    expect(c.requiredFeatures).toBeUndefined();
  });

  it('encodes a decoded kopia config byte for byte as Go\'s json.Marshal did', async () => {
    const pt = await kopiaPlaintext();
    expect(encodeRepositoryConfig(decodeRepositoryConfig(pt, 'fixture')).toString()).toBe(pt.toString());
  });

  it('round-trips upgradeLock and requiredFeatures with kopia\'s keys', () => {
    const doc = {
      format: {
        hash: 'HMAC-SHA256', encryption: 'AES256-GCM-HMAC-SHA256', version: 3, indexVersion: 2,
        epochParameters: { Enabled: false },
        enablePasswordChange: true,
        upgradeLock: { ownerID: 'me@host', creationTime: '2025-03-11T10:07:36.123456789Z', ioDrainTimeout: 900000000000, message: 'upgrading', maxPermittedClockDrift: 5000000000 },
        requiredFeatures: [{ feature: 'index-v2', ifNotUnderstood: { warn: false, message: 'need index v2', upgradeToVersion: 'v0.9.0' } }],
      },
    };
    const c = decodeRepositoryConfig(Buffer.from(JSON.stringify(doc)), 'x');
    expect(c.upgradeLock).toEqual({
      ownerId: 'me@host', creationTime: '2025-03-11T10:07:36.123456789Z', advanceNoticeDurationMs: 0, ioDrainTimeoutMs: 900_000,
      statusPollIntervalMs: 0, message: 'upgrading', maxPermittedClockDriftMs: 5000,
    });
    expect(c.requiredFeatures).toEqual([{ feature: 'index-v2', ifNotUnderstood: { warn: false, message: 'need index v2', upgradeToVersion: 'v0.9.0' } }]);
    const again = JSON.parse(encodeRepositoryConfig(c).toString()) as { format: Record<string, unknown> };
    expect(again.format['upgradeLock']).toEqual(doc.format.upgradeLock);
    expect(again.format['requiredFeatures']).toEqual(doc.format.requiredFeatures);
    expect(c.maxPackSize).toBe(0);
    expect(c.hmacSecret.length).toBe(0);
  });

  it('reads PascalCase epoch keys case-insensitively and fails on wrong types naming the field', () => {
    const c = decodeRepositoryConfig(Buffer.from('{"format":{"Hash":"BLAKE3-256","epochparameters":{"enabled":true,"MINEPOCHDURATION":600000000000}}}'), 'x');
    expect(c.hash).toBe('BLAKE3-256');
    expect(c.epochParameters.enabled).toBe(true);
    expect(c.epochParameters.minEpochDurationMs).toBe(600_000);
    expect(() => decodeRepositoryConfig(Buffer.from('{"format":{"version":"3"}}'), 'x')).toThrow(/"version"/);
    expect(() => decodeRepositoryConfig(Buffer.from('{"format":{"secret":"not base64!"}}'), 'x')).toThrow(/"secret"/);
  });
});

describe('kopia.blobcfg JSON', () => {
  it('encodes no retention as {} and retention with nanoseconds', () => {
    expect(encodeBlobStorageConfig({ retentionMode: '', retentionPeriodMs: 0 }).toString()).toBe('{}');
    expect(encodeBlobStorageConfig({ retentionMode: 'COMPLIANCE', retentionPeriodMs: 86_400_000 }).toString()).toBe(
      '{"retentionMode":"COMPLIANCE","retentionPeriod":86400000000000}',
    );
    expect(decodeBlobStorageConfig(Buffer.from('{"retentionMode":"GOVERNANCE","retentionPeriod":172800000000000}'), 'x')).toEqual({
      retentionMode: 'GOVERNANCE', retentionPeriodMs: 172_800_000,
    });
  });
});
