import { createHmac } from 'node:crypto';
import { blake3 } from '@noble/hashes/blake3.js';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors.ts';
import { HASH_ALGORITHMS, blake3KeyFromSecret, createHasher } from './hashers.ts';

const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const fox = Buffer.from('The quick brown fox jumps over the lazy dog');

// Expected values computed independently with Python's hashlib/hmac (BLAKE2 with digest_size/key, HMAC).
const KNOWN: Record<string, string> = {
  'HMAC-SHA256': 'f87ad256151fc7b4c5dffa4adb3ebe911a8eeb8a8ebdee3c2a4a8e5f5ec02c32',
  'HMAC-SHA256-128': 'f87ad256151fc7b4c5dffa4adb3ebe91',
  'HMAC-SHA224': 'c19bf589632c1938fa9433a3fba6d063a76a89f95cbfad9724292959',
  'HMAC-SHA3-224': 'c058b4ace7a24b83460c1cb59a43c777a2b927b7ffb4b976cc26377e',
  'HMAC-SHA3-256': '147d7580b74be73a6c117f3320568ddf71834893daaa4631894ade39ca08e709',
  'BLAKE2B-256-128': '5d9461aff732d77d0cc98725ea29298c',
  'BLAKE2B-256': '5d9461aff732d77d0cc98725ea29298c914fd5193b4c08ec9e3ad6b28c3e2faf',
  'BLAKE2S-128': '4e2219ec6d234a478e4ace91429bbce4',
  'BLAKE2S-256': '96b9463f887ba8eb7444074245f3b2f838d6ee5a659490adcf7ae80cc97bc67f',
};

describe('createHasher', () => {
  for (const [name, hex] of Object.entries(KNOWN)) {
    it(`${name} matches an independent implementation`, () => {
      const h = createHasher(name, secret);
      expect(h.name).toBe(name);
      expect(h.size).toBe(hex.length / 2);
      expect(h.hash(fox).toString('hex')).toBe(hex);
    });
  }

  it('BLAKE2B-256-128 is BLAKE2b-256 truncated, not BLAKE2b-128 (python: 7802a60f…)', () => {
    expect(createHasher('BLAKE2B-256-128', secret).hash(fox).toString('hex')).not.toBe('7802a60f494c67ed7f6b348110c424aa');
  });

  it('BLAKE3 keyed mode reproduces the official BLAKE3 keyed_hash vector (input length 0)', () => {
    const key = Buffer.from('whats the Elvish word for friend');
    expect(createHasher('BLAKE3-256', key).hash(Buffer.alloc(0)).toString('hex')).toBe(
      '92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26',
    );
    expect(createHasher('BLAKE3-256-128', key).hash(Buffer.alloc(0)).toString('hex')).toBe('92b2b75604ed3c761f9d6f62392c8a92');
  });

  it('BLAKE3 derive-key mode reproduces the official derive_key vector', () => {
    const ctx = new TextEncoder().encode('BLAKE3 2019-12-27 16:29:52 test vectors context');
    expect(Buffer.from(blake3(new Uint8Array(0), { context: ctx })).toString('hex')).toBe(
      '2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d',
    );
  });

  it('BLAKE3 stretches a short secret with kopia\'s derive-key context and truncates a long one', () => {
    const short = secret.subarray(0, 16);
    const derived = blake3(short, { context: new TextEncoder().encode('kopia blake3 derived key v1') });
    expect(Buffer.from(blake3KeyFromSecret(short))).toEqual(Buffer.from(derived));
    expect(createHasher('BLAKE3-256', short).hash(fox)).toEqual(Buffer.from(blake3(fox, { key: derived })));
    const long = Buffer.concat([secret, Buffer.from('extra')]);
    expect(createHasher('BLAKE3-256', long).hash(fox)).toEqual(createHasher('BLAKE3-256', secret).hash(fox));
    // without a secret kopia derives the key from the empty string
    const fromEmpty = blake3(new Uint8Array(0), { context: new TextEncoder().encode('kopia blake3 derived key v1') });
    expect(createHasher('BLAKE3-256', undefined).hash(fox)).toEqual(Buffer.from(blake3(fox, { key: fromEmpty })));
  });

  it('runs unkeyed BLAKE2 and empty-key HMAC when the repository has no secret (DisableHMAC)', () => {
    expect(createHasher('BLAKE2B-256-128', undefined).hash(fox).toString('hex')).toBe('01718cec35cd3d796dd00020e0bfecb4');
    expect(createHasher('HMAC-SHA256-128', Buffer.alloc(0)).hash(fox).toString('hex')).toBe('fb011e6154a19b9a4c767373c305275a');
  });

  it('every algorithm is deterministic, keyed and of its declared size', () => {
    const other = Buffer.from(secret).fill(7);
    for (const name of HASH_ALGORITHMS) {
      const h = createHasher(name, secret);
      const a = h.hash(fox);
      expect(a.length).toBe(h.size);
      expect(h.hash(Buffer.from(fox))).toEqual(a);
      expect(h.hash(Buffer.from('The quick brown fox jumps over the lazy cog'))).not.toEqual(a);
      expect(createHasher(name, other).hash(fox)).not.toEqual(a);
    }
  });

  it('HMAC-SHA256-128 hashes a large buffer like one HMAC over all of it', () => {
    const big = Buffer.alloc(5 << 20, 0xab);
    const want = createHmac('sha256', secret).update(big).digest().subarray(0, 16);
    expect(createHasher('HMAC-SHA256-128', secret).hash(big)).toEqual(want);
  });

  it('rejects an unknown algorithm with an UnsupportedError that names it', () => {
    let err: unknown;
    try {
      createHasher('SHA1', secret);
    } catch (e) {
      err = e;
    }
    expect(isCairnError(err) && err.code).toBe('UNSUPPORTED');
    expect((err as Error).message).toContain('"SHA1"');
  });
});
