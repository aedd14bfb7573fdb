import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CorruptionError, isCairnError } from '../errors.ts';
import { ENCRYPTION_ALGORITHMS, createEncryptor } from './encryptors.ts';

// Known-answer vectors from kopia repo/encryption/encryption_test.go (TestCiphertextSamples).
const SAMPLES = [
  {
    masterKey: '01234567890123456789012345678901',
    contentId: 'aabbccddeeffgghhiijjkkllmmnnoopp',
    payload: 'foo',
    ciphertexts: {
      'AES256-GCM-HMAC-SHA256': 'e43ba07f85a6d70c5f1102ca06cf19c597e5f91e527b21f00fb76e8bec3fd1',
      'CHACHA20-POLY1305-HMAC-SHA256': '118359f3d4d589d939efbbc3168ae4c77c51bcebce6845fe6ef5d11342faa6',
    },
  },
  {
    masterKey: '01234567890123456789012345678901',
    contentId: '00000000000000000000000000000000',
    payload: 'quick brown fox jumps over the lazy dog',
    ciphertexts: {
      'AES256-GCM-HMAC-SHA256':
        'eaad755a238f1daa4052db2e5ccddd934790b6cca415b3ccfd46ac5746af33d9d30f4400ffa9eb3a64fb1ce21b888c12c043bf6787d4a5c15ad10f21f6a6027ee3afe0',
      'CHACHA20-POLY1305-HMAC-SHA256':
        '836d2ba87892711077adbdbe1452d3b2c590bbfdf6fd3387dc6810220a32ec19de862e1a4f865575e328424b5f178afac1b7eeff11494f719d119b7ebb924d1d0846a3',
    },
  },
] as const;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('createEncryptor', () => {
  for (const s of SAMPLES) {
    for (const [name, hex] of Object.entries(s.ciphertexts)) {
      it(`${name} decrypts kopia's sample for payload "${s.payload}"`, () => {
        const e = createEncryptor(name, Buffer.from(s.masterKey));
        expect(e.decrypt(Buffer.from(hex, 'hex'), Buffer.from(s.contentId)).toString()).toBe(s.payload);
      });
    }
  }

  for (const name of ENCRYPTION_ALGORITHMS) {
    it(`${name}: round trip, 28 bytes overhead, random nonce, authenticated id`, () => {
      const e = createEncryptor(name, Buffer.alloc(32, 9));
      const iv = Buffer.alloc(16, 1);
      const pt = Buffer.alloc(100_000, 0x5a);
      const a = e.encrypt(pt, iv);
      const b = e.encrypt(pt, iv);
      expect(e.overhead).toBe(28);
      expect(a.length).toBe(pt.length + 28);
      expect(a).not.toEqual(b);
      expect(e.decrypt(a, iv)).toEqual(pt);
      expect(e.decrypt(e.encrypt(Buffer.alloc(0), iv), iv).length).toBe(0);
      const flipped = Buffer.from(a);
      flipped[50] = flipped[50]! ^ 1;
      expect(thrown(() => e.decrypt(flipped, iv))).toBeInstanceOf(CorruptionError);
      expect(thrown(() => e.decrypt(a, Buffer.alloc(16, 2)))).toBeInstanceOf(CorruptionError);
      expect(thrown(() => e.decrypt(a.subarray(0, 27), iv))).toBeInstanceOf(CorruptionError);
      expect(thrown(() => createEncryptor(name, Buffer.alloc(32, 8)).decrypt(a, iv))).toBeInstanceOf(CorruptionError);
    });
  }

  it('decrypts a sub-array view without reading outside it', () => {
    const e = createEncryptor('AES256-GCM-HMAC-SHA256', Buffer.alloc(32, 3));
    const iv = Buffer.alloc(16, 4);
    const ct = e.encrypt(Buffer.from('hello'), iv);
    const framed = Buffer.concat([Buffer.from('xxxx'), ct, Buffer.from('yyyy')]);
    expect(e.decrypt(framed.subarray(4, 4 + ct.length), iv).toString()).toBe('hello');
  });

  it('rejects an unknown algorithm naming it', () => {
    const err = thrown(() => createEncryptor('NONE', Buffer.alloc(32)));
    expect(isCairnError(err) && err.code).toBe('UNSUPPORTED');
    expect((err as Error).message).toContain('"NONE"');
  });

  it('node HMAC-SHA256 matches RFC 4231 test case 2 (the per-content key primitive)', () => {
    expect(createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});
