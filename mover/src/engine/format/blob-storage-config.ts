// `kopia.blobcfg` (kopia repo/format/blobcfg_blob.go): `{"retentionMode":…,"retentionPeriod":<ns>}` (both
// omitempty, so `{}` without retention) sealed with the password envelope, like the repository config.
import { openAesGcmEnvelope, sealAesGcmEnvelope } from '../crypto/aes-gcm-envelope.ts';
import { getInteger, getString, goJsonEncode, parseJsonObject } from './go-json.ts';
import type { BlobStorageConfig } from './repository-config.ts';

export const NO_RETENTION: BlobStorageConfig = { retentionMode: '', retentionPeriodMs: 0 };

export function encodeBlobStorageConfig(c: BlobStorageConfig): Buffer {
  const o: Record<string, unknown> = {};
  if (c.retentionMode !== '') o['retentionMode'] = c.retentionMode;
  if (c.retentionPeriodMs !== 0) o['retentionPeriod'] = Math.round(c.retentionPeriodMs * 1_000_000);
  return Buffer.from(goJsonEncode(o), 'utf8');
}

export function decodeBlobStorageConfig(plaintext: Uint8Array, where: string): BlobStorageConfig {
  const o = parseJsonObject(plaintext, where);
  return {
    retentionMode: getString(o, 'retentionMode', where),
    retentionPeriodMs: getInteger(o, 'retentionPeriod', where) / 1_000_000,
  };
}

export function sealBlobStorageConfig(c: BlobStorageConfig, formatKey: Uint8Array, uniqueId: Uint8Array): Buffer {
  return sealAesGcmEnvelope(formatKey, uniqueId, encodeBlobStorageConfig(c));
}

/** Null when `formatKey` does not open the blob. */
export function openBlobStorageConfig(sealed: Uint8Array, formatKey: Uint8Array, uniqueId: Uint8Array, where: string): BlobStorageConfig | null {
  const plaintext = openAesGcmEnvelope(formatKey, uniqueId, sealed);
  return plaintext === null ? null : decodeBlobStorageConfig(plaintext, where);
}
