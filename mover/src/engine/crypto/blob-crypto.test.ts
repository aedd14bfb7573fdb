import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.ts';
import { blobIv, decryptBlob, encryptBlob } from './blob-crypto.ts';
import { createEncryptor } from './encryptors.ts';
import { createHasher } from './hashers.ts';

const hasher = createHasher('HMAC-SHA256-128', Buffer.alloc(32, 1));
const enc = createEncryptor('AES256-GCM-HMAC-SHA256', Buffer.alloc(32, 2));

describe('blob crypto', () => {
  it('names the blob prefix ‖ hex(hash) ‖ -suffix and round-trips', () => {
    const pt = Buffer.from('index data');
    const { blobId, data } = encryptBlob(hasher, enc, 'xn0_', 'sdeadbeef00112233-c1', pt);
    expect(blobId).toBe(`xn0_${hasher.hash(pt).toString('hex')}-sdeadbeef00112233-c1`);
    expect(decryptBlob(enc, blobId, data)).toEqual(pt);
  });

  it('uses the last 16 bytes of the hash as the IV, also for 32-byte hashes', () => {
    const h32 = createHasher('BLAKE2B-256', Buffer.alloc(32, 1));
    const pt = Buffer.from('x');
    const { blobId, data } = encryptBlob(h32, enc, 'n', '', pt);
    expect(blobId).toBe(`n${h32.hash(pt).toString('hex')}`);
    expect(blobIv(blobId)).toEqual(h32.hash(pt).subarray(16));
    // the IV is the AEAD's associated data: decrypting with the content encryptor directly proves it
    expect(enc.decrypt(data, h32.hash(pt).subarray(16))).toEqual(pt);
  });

  it('reads only the part before the first dash', () => {
    expect(blobIv('xr0_5_00112233445566778899aabbccddeeff-s0123-c1')).toEqual(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
  });

  it('fails with CorruptionError on a renamed blob or a malformed name', () => {
    const { blobId, data } = encryptBlob(hasher, enc, 'q', 's1', Buffer.from('a'));
    const dash = blobId.indexOf('-');
    const last = blobId[dash - 1] === '0' ? '1' : '0';
    const renamed = `${blobId.slice(0, dash - 1)}${last}${blobId.slice(dash)}`;
    expect(() => decryptBlob(enc, renamed, data)).toThrow(CorruptionError);
    expect(() => blobIv('kopia.repository')).toThrow(CorruptionError);
    expect(() => blobIv('x0123-zz')).toThrow(CorruptionError);
  });
});
