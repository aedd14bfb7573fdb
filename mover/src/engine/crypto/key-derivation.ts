// Key derivation as kopia does it (internal/crypto/{key_derivation,pb_key_derivers,pb_key_deriver_scrypt,
// pb_key_deriver_pbkdf2}.go): HKDF-SHA256 for keys derived from keys, scrypt / PBKDF2 for the password.
import { hkdfSync, pbkdf2, scrypt } from 'node:crypto';
import { CairnError, UnsupportedError } from '../errors.ts';

export const SCRYPT_ALGORITHM = 'scrypt-65536-8-1';
export const PBKDF2_ALGORITHM = 'pbkdf2-sha256-600000';
/** Password KDFs kopia accepts for `keyAlgo` (format_blob_key_derivation_nontesting.go). */
export const PASSWORD_KDF_ALGORITHMS = [SCRYPT_ALGORITHM, PBKDF2_ALGORITHM] as const;
export type PasswordKdfAlgorithm = (typeof PASSWORD_KDF_ALGORITHMS)[number];
export const DEFAULT_PASSWORD_KDF: PasswordKdfAlgorithm = SCRYPT_ALGORITHM;

const MIN_SALT_LENGTH = 16;
const SCRYPT_N = 65536;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
// scrypt needs 128·N·r bytes (64 MiB); node's default cap is 32 MiB, so allow twice the need.
const SCRYPT_MAXMEM = 2 * 128 * SCRYPT_N * SCRYPT_R;
const PBKDF2_ITERATIONS = 600_000;

/**
 * Derives a key from a password. The real KDFs are the only ones reachable from user input; tests of logic
 * that does not depend on the KDF may pass a cheap one where an API accepts a `PasswordKeyDeriver`.
 */
export type PasswordKeyDeriver = (algorithm: string, password: string, salt: Uint8Array, keyLength: number) => Promise<Buffer>;

export function isPasswordKdfAlgorithm(name: string): name is PasswordKdfAlgorithm {
  return (PASSWORD_KDF_ALGORITHMS as readonly string[]).includes(name);
}

/** HKDF-SHA256 (RFC 5869), as Go's crypto/hkdf.Key(sha256.New, ikm, salt, info, length). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, length: number): Buffer {
  const infoBytes = typeof info === 'string' ? Buffer.from(info, 'utf8') : info;
  return Buffer.from(hkdfSync('sha256', ikm, salt, infoBytes, length));
}

/**
 * Kopia's DeriveKeyFromMasterKey: HKDF-SHA256(masterKey, salt, info = purpose). An empty master key is refused
 * as kopia refuses it.
 */
export function deriveKeyFromMasterKey(masterKey: Uint8Array, salt: Uint8Array, purpose: string, length: number): Buffer {
  if (masterKey.length === 0) {
    throw new CairnError('INTERNAL', `cannot derive the "${purpose}" key from an empty master key`);
  }
  return hkdfSha256(masterKey, salt, purpose, length);
}

/**
 * Kopia's DeriveKeyFromPassword: `algorithm` is the format blob's `keyAlgo` (empty means scrypt, as kopia
 * treats repositories older than the field). Runs on node's thread pool, so the event loop stays free.
 */
export const derivePasswordKey: PasswordKeyDeriver = async (algorithm, password, salt, keyLength) => {
  const algo = algorithm === '' ? SCRYPT_ALGORITHM : algorithm;
  if (!isPasswordKdfAlgorithm(algo)) {
    throw new UnsupportedError(`unsupported password key derivation algorithm "${algorithm}"`, {
      hint: `kopia.repository must name one of ${PASSWORD_KDF_ALGORITHMS.join(', ')} as keyAlgo`,
    });
  }
  if (salt.length < MIN_SALT_LENGTH) {
    throw new UnsupportedError(`${algo} needs a salt of at least ${MIN_SALT_LENGTH} bytes, the repository's uniqueID has ${salt.length}`, {
      hint: 'kopia.repository has an invalid uniqueID; restore it from a backup copy',
    });
  }
  const pw = Buffer.from(password, 'utf8');
  return new Promise<Buffer>((resolve, reject) => {
    const done = (err: Error | null, key: Buffer): void => {
      if (err === null) resolve(key);
      else reject(new CairnError('INTERNAL', `${algo} key derivation failed: ${err.message}`, { cause: err }));
    };
    if (algo === SCRYPT_ALGORITHM) {
      scrypt(pw, salt, keyLength, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, maxmem: SCRYPT_MAXMEM }, done);
    } else {
      pbkdf2(pw, salt, PBKDF2_ITERATIONS, keyLength, 'sha256', done);
    }
  });
};
