import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createHasher } from '../crypto/hashers.ts';
import { createEncryptor } from '../crypto/encryptors.ts';
import { compressorByName, decompressContent } from '../compression/compressors.ts';
import { contentIdFor, prepareContent, prepareContentFromHash } from './prepare-content.ts';
import { contentIv } from './content-id.ts';

const hasher = createHasher('HMAC-SHA256-128', randomBytes(32));
const encryptor = createEncryptor('AES256-GCM-HMAC-SHA256', randomBytes(32));

describe('prepareContent', () => {
  it('hashes the uncompressed bytes and encrypts with the last 16 bytes of the hash', () => {
    const data = Buffer.from('hello world '.repeat(100));
    const p = prepareContent(data, { prefix: 'k', hasher, encryptor, compressor: compressorByName('zstd') });
    expect(p.contentId).toBe('k' + hasher.hash(data).toString('hex'));
    expect(p.contentId).toBe(contentIdFor(hasher, 'k', data));
    expect(p.originalLength).toBe(data.length);
    expect(p.compressionHeaderId).toBe(0x1100);
    const plain = encryptor.decrypt(p.payload, contentIv(p.contentId));
    expect(plain.readUInt32BE(0)).toBe(0x1100);
    expect(decompressContent(plain, 0x1100, data.length)).toEqual(data);
  });

  it('stores incompressible data uncompressed with header id 0', () => {
    const data = randomBytes(4096);
    const p = prepareContent(data, { prefix: '', hasher, encryptor, compressor: compressorByName('zstd') });
    expect(p.compressionHeaderId).toBe(0);
    expect(p.payload.length).toBe(data.length + encryptor.overhead);
    expect(encryptor.decrypt(p.payload, contentIv(p.contentId))).toEqual(data);
  });

  it('prepareContentFromHash matches prepareContent', () => {
    const data = Buffer.from('abc');
    const p = prepareContentFromHash(data, hasher.hash(data), '', encryptor, undefined);
    expect(p.contentId).toBe(contentIdFor(hasher, '', data));
    expect(encryptor.decrypt(p.payload, contentIv(p.contentId))).toEqual(data);
  });
});
