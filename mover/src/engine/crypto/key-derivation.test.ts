import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors.ts';
import { deriveKeyFromMasterKey, derivePasswordKey, hkdfSha256 } from './key-derivation.ts';

describe('hkdfSha256', () => {
  it('matches RFC 5869 test case 1', () => {
    const okm = hkdfSha256(Buffer.alloc(22, 0x0b), Buffer.from('000102030405060708090a0b0c', 'hex'), Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'), 42);
    expect(okm.toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('matches RFC 5869 test case 3 (empty salt and info)', () => {
    const okm = hkdfSha256(Buffer.alloc(22, 0x0b), Buffer.alloc(0), '', 42);
    expect(okm.toString('hex')).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  it('deriveKeyFromMasterKey uses the purpose as info and refuses an empty key', () => {
    const k = deriveKeyFromMasterKey(Buffer.alloc(32, 1), Buffer.alloc(32, 2), 'AES', 32);
    expect(k).toEqual(hkdfSha256(Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.from('AES'), 32));
    expect(k).not.toEqual(deriveKeyFromMasterKey(Buffer.alloc(32, 1), Buffer.alloc(32, 2), 'CHECKSUM', 32));
    expect(() => deriveKeyFromMasterKey(Buffer.alloc(0), Buffer.alloc(32), 'x', 32)).toThrow(/empty master key/);
  });
});

describe('derivePasswordKey', () => {
  it('scrypt-65536-8-1 matches an independent implementation with the real parameters', async () => {
    // Reference computed with Python hashlib.scrypt(b"password", salt=bytes(range(32)), n=65536, r=8, p=1, dklen=32,
    // maxmem=2**27).
    const key = await derivePasswordKey('scrypt-65536-8-1', 'password', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 32);
    expect(key.toString('hex')).toBe(SCRYPT_REF);
    // an empty keyAlgo means scrypt (kopia repositories older than the field)
    const legacy = await derivePasswordKey('', 'password', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 32);
    expect(legacy).toEqual(key);
  });

  it('pbkdf2-sha256-600000 matches an independent implementation', async () => {
    const key = await derivePasswordKey('pbkdf2-sha256-600000', 'pässword', Buffer.alloc(16, 0x11), 32);
    expect(key.toString('hex')).toBe(PBKDF2_REF);
  });

  it('rejects unknown algorithms and short salts', async () => {
    const e1 = await derivePasswordKey('argon2', 'p', Buffer.alloc(32), 32).catch((e: unknown) => e);
    expect(isCairnError(e1) && e1.code).toBe('UNSUPPORTED');
    const e2 = await derivePasswordKey('scrypt-65536-8-1', 'p', Buffer.alloc(8), 32).catch((e: unknown) => e);
    expect(isCairnError(e2) && e2.code).toBe('UNSUPPORTED');
  });
});

const SCRYPT_REF = '696fdb19d55e59b19a92dcfd4e3a9dc0418d3b50337b0c7c13ae55f5d8f2c0c5';
const PBKDF2_REF = '0b5bdd7de1e0e66f6bc0a237ee874e6245a2df71ad427ebd2016a8644ef6f244';
