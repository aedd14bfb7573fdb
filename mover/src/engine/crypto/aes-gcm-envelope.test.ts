import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openAesGcmEnvelope, sealAesGcmEnvelope } from './aes-gcm-envelope.ts';
import { hkdfSha256 } from './key-derivation.ts';

const key = Buffer.alloc(32, 5);
const salt = Buffer.alloc(32, 6);

describe('AES-GCM password envelope', () => {
  it('seals {} into 30 bytes like kopia.blobcfg and opens it', () => {
    const sealed = sealAesGcmEnvelope(key, salt, Buffer.from('{}'));
    expect(sealed.length).toBe(30);
    expect(openAesGcmEnvelope(key, salt, sealed)?.toString()).toBe('{}');
  });

  it('is AES-256-GCM with HKDF(key, uniqueID, "AES") and AAD HKDF(key, uniqueID, "CHECKSUM")', () => {
    const sealed = sealAesGcmEnvelope(key, salt, Buffer.from('secret config'));
    const d = createDecipheriv('aes-256-gcm', hkdfSha256(key, salt, 'AES', 32), sealed.subarray(0, 12));
    d.setAAD(hkdfSha256(key, salt, 'CHECKSUM', 32));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    expect(Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]).toString()).toBe('secret config');
  });

  it('returns null for a wrong key, a wrong salt, modified or truncated data', () => {
    const sealed = sealAesGcmEnvelope(key, salt, Buffer.from('x'));
    expect(openAesGcmEnvelope(Buffer.alloc(32, 7), salt, sealed)).toBeNull();
    expect(openAesGcmEnvelope(key, Buffer.alloc(32, 7), sealed)).toBeNull();
    const bad = Buffer.from(sealed);
    bad[13] = bad[13]! ^ 1;
    expect(openAesGcmEnvelope(key, salt, bad)).toBeNull();
    expect(openAesGcmEnvelope(key, salt, sealed.subarray(0, 20))).toBeNull();
  });
});
