// The password envelope of `kopia.repository` and `kopia.blobcfg` (kopia internal/crypto/aesgcm.go):
//   aesKey   = HKDF-SHA256(key, salt, info = "AES",      32)
//   authData = HKDF-SHA256(key, salt, info = "CHECKSUM", 32)
//   sealed   = nonce(12 random) ‖ AES-256-GCM(aesKey, nonce, plaintext, AAD = authData) ‖ tag(16)
// `key` is the format encryption key derived from the password, `salt` the repository's uniqueID.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKeyFromMasterKey } from './key-derivation.ts';

const NONCE_SIZE = 12;
const TAG_SIZE = 16;
export const AES_GCM_ENVELOPE_OVERHEAD = NONCE_SIZE + TAG_SIZE;

function envelopeKeys(key: Uint8Array, salt: Uint8Array): { aesKey: Buffer; authData: Buffer } {
  return {
    aesKey: deriveKeyFromMasterKey(key, salt, 'AES', 32),
    authData: deriveKeyFromMasterKey(key, salt, 'CHECKSUM', 32),
  };
}

export function sealAesGcmEnvelope(key: Uint8Array, salt: Uint8Array, plaintext: Uint8Array): Buffer {
  const { aesKey, authData } = envelopeKeys(key, salt);
  const nonce = randomBytes(NONCE_SIZE);
  const c = createCipheriv('aes-256-gcm', aesKey, nonce, { authTagLength: TAG_SIZE });
  c.setAAD(authData);
  return Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** Returns the plaintext, or null when authentication fails (wrong key, or modified / truncated data). */
export function openAesGcmEnvelope(key: Uint8Array, salt: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < AES_GCM_ENVELOPE_OVERHEAD) return null;
  const { aesKey, authData } = envelopeKeys(key, salt);
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const d = createDecipheriv('aes-256-gcm', aesKey, buf.subarray(0, NONCE_SIZE), { authTagLength: TAG_SIZE });
  d.setAAD(authData);
  d.setAuthTag(buf.subarray(buf.length - TAG_SIZE));
  const body = d.update(buf.subarray(NONCE_SIZE, buf.length - TAG_SIZE));
  try {
    return Buffer.concat([body, d.final()]);
  } catch {
    return null;
  }
}
