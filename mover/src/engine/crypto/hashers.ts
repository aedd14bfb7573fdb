// Layer: crypto. Pure functions and objects, no I/O. Guarantees:
// - every keyed hash kopia registers (repo/hashing/{hashing,sha_hashes,blake_hashes,blake3_hashes}.go) is
//   available under kopia's name and produces kopia's bytes (a content ID computed here equals kopia's);
// - content AEADs (repo/encryption/*.go) and whole-blob crypto (internal/blobcrypto/blob_crypto.go) are
//   byte-compatible with kopia: kopia decrypts what we encrypt and vice versa;
// - password KDFs and HKDF follow internal/crypto/*.go.
// Hot paths (HMAC-SHA256, AES-GCM, ChaCha20-Poly1305, scrypt, HKDF) run on node:crypto (OpenSSL);
// @noble/hashes is used only for keyed BLAKE2 and BLAKE3, which node:crypto does not offer, and loaded
// only when one of them is asked for (require of its ES modules, synchronous in Node 24): every command and
// every worker thread created a hasher, and loading noble cost each ~5-8 ms of start-up for a repository
// that hashes with HMAC-SHA256 (Cairn's default).
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { UnsupportedError } from '../errors.ts';
import type { KeyedHasher } from './keyed-hasher.ts';

/** Every hash algorithm kopia supports, sorted as kopia's `hashing.SupportedAlgorithms()` lists them. */
export const HASH_ALGORITHMS = [
  'BLAKE2B-256',
  'BLAKE2B-256-128',
  'BLAKE2S-128',
  'BLAKE2S-256',
  'BLAKE3-256',
  'BLAKE3-256-128',
  'HMAC-SHA224',
  'HMAC-SHA256',
  'HMAC-SHA256-128',
  'HMAC-SHA3-224',
  'HMAC-SHA3-256',
] as const;

export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** Kopia's default for `kopia repository create` (repo/hashing/hashing.go DefaultAlgorithm). */
export const KOPIA_DEFAULT_HASH: HashAlgorithm = 'BLAKE2B-256-128';
/** Ours: the same strength on OpenSSL's SHA-256 (see ARCHITECTURE.md, compatibility contract). */
export const DEFAULT_HASH: HashAlgorithm = 'HMAC-SHA256-128';

type NobleBlake2 = typeof import('@noble/hashes/blake2.js');
type NobleBlake3 = typeof import('@noble/hashes/blake3.js');
const requireHere = createRequire(import.meta.url);
let nobleBlake2: NobleBlake2 | undefined;
let nobleBlake3: NobleBlake3 | undefined;

function noble2(): NobleBlake2 {
  return (nobleBlake2 ??= requireHere('@noble/hashes/blake2.js') as NobleBlake2);
}

function noble3(): NobleBlake3 {
  return (nobleBlake3 ??= requireHere('@noble/hashes/blake3.js') as NobleBlake3);
}

/** Key-derivation context kopia uses to stretch a secret that is shorter than 32 bytes for BLAKE3. */
const BLAKE3_KEY_CONTEXT = new TextEncoder().encode('kopia blake3 derived key v1');
const BLAKE3_KEY_SIZE = 32;

export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return (HASH_ALGORITHMS as readonly string[]).includes(name);
}

/**
 * Creates kopia's keyed hash `name`. `secret` is the repository's HMAC secret (config field "secret");
 * undefined or empty means kopia's DisableHMAC mode (unkeyed BLAKE2, HMAC with an empty key).
 */
export function createHasher(name: string, secret: Uint8Array | undefined): KeyedHasher {
  const key = secret === undefined ? Buffer.alloc(0) : Buffer.from(secret);
  switch (name) {
    case 'HMAC-SHA256':
      return hmacHasher(name, 'sha256', key, 32);
    case 'HMAC-SHA256-128':
      return hmacHasher(name, 'sha256', key, 16);
    case 'HMAC-SHA224':
      return hmacHasher(name, 'sha224', key, 28);
    case 'HMAC-SHA3-224':
      return hmacHasher(name, 'sha3-224', key, 28);
    case 'HMAC-SHA3-256':
      return hmacHasher(name, 'sha3-256', key, 32);
    case 'BLAKE2B-256-128':
      // BLAKE2b with a 32-byte digest, truncated: NOT BLAKE2b-128 (the digest length is hashed into the state).
      return blake2Hasher(name, noble2().blake2b, 64, key, 32, 16);
    case 'BLAKE2B-256':
      return blake2Hasher(name, noble2().blake2b, 64, key, 32, 32);
    case 'BLAKE2S-128':
      return blake2Hasher(name, noble2().blake2s, 32, key, 16, 16);
    case 'BLAKE2S-256':
      return blake2Hasher(name, noble2().blake2s, 32, key, 32, 32);
    case 'BLAKE3-256':
      return blake3Hasher(name, key, 32);
    case 'BLAKE3-256-128':
      return blake3Hasher(name, key, 16);
    default:
      throw new UnsupportedError(`unknown hash algorithm "${name}"`, {
        hint: `the repository's hash must be one of ${HASH_ALGORITHMS.join(', ')}`,
      });
  }
}

function hmacHasher(name: string, digest: string, key: Buffer, size: number): KeyedHasher {
  return {
    name,
    size,
    hash(data: Uint8Array): Buffer {
      const full = createHmac(digest, key).update(data).digest();
      return size === full.length ? full : full.subarray(0, size);
    },
  };
}

type Blake2Fn = (msg: Uint8Array, opts?: { dkLen?: number; key?: Uint8Array }) => Uint8Array;

function blake2Hasher(
  name: string,
  fn: Blake2Fn,
  maxKeyLength: number,
  key: Buffer,
  digestLength: number,
  size: number,
): KeyedHasher {
  if (key.length > maxKeyLength) {
    throw new UnsupportedError(`${name} cannot use a ${key.length}-byte secret (at most ${maxKeyLength} bytes)`, {
      hint: 'the repository configuration is not one kopia could have written; check that it is intact',
    });
  }
  const opts = key.length === 0 ? { dkLen: digestLength } : { dkLen: digestLength, key };
  return truncatingHasher(name, size, (data) => fn(data, opts));
}

/** A hasher over a digest function whose output is fresh (never reused), truncated to `size` without a copy. */
function truncatingHasher(name: string, size: number, digest: (data: Uint8Array) => Uint8Array): KeyedHasher {
  return {
    name,
    size,
    hash(data: Uint8Array): Buffer {
      const out = digest(data);
      return Buffer.from(out.buffer, out.byteOffset, size);
    },
  };
}

/** Kopia's BLAKE3 key rule: a secret shorter than 32 bytes is stretched with DeriveKey, a longer one truncated. */
export function blake3KeyFromSecret(secret: Uint8Array): Uint8Array {
  if (secret.length < BLAKE3_KEY_SIZE) return noble3().blake3(secret, { context: BLAKE3_KEY_CONTEXT, dkLen: BLAKE3_KEY_SIZE });
  return secret.subarray(0, BLAKE3_KEY_SIZE);
}

function blake3Hasher(name: string, secret: Buffer, size: number): KeyedHasher {
  const opts = { key: Uint8Array.from(blake3KeyFromSecret(secret)), dkLen: 32 };
  const { blake3 } = noble3();
  return truncatingHasher(name, size, (data) => blake3(data, opts));
}
