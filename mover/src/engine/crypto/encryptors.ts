// Kopia's content AEADs (repo/encryption/{encryption,aead_helpers,aes256_gcm_hmac_sha256_encryptor,
// chacha20_poly1305_hmac_sha256_encryptor}.go):
//   KDS   = HKDF-SHA256(IKM = masterKey, salt = "encryption", info = "", 32)      once per repository
//   key   = HMAC-SHA256(KDS, iv)                                                 per content
//   out   = nonce(12 random) ‖ AEAD-Seal(key, nonce, plaintext, AAD = iv) ‖ tag(16)
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import type { CipherGCMTypes, CipherChaCha20Poly1305Types } from 'node:crypto';
import { CorruptionError, UnsupportedError } from '../errors.ts';
import type { ContentEncryptor } from './content-encryptor.ts';
import { hkdfSha256 } from './key-derivation.ts';
import { fillRandom } from './random-pool.ts';
import { releaseBuffer } from '../util/release-buffer.ts';

export const ENCRYPTION_ALGORITHMS = ['AES256-GCM-HMAC-SHA256', 'CHACHA20-POLY1305-HMAC-SHA256'] as const;
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];
export const DEFAULT_ENCRYPTION: EncryptionAlgorithm = 'AES256-GCM-HMAC-SHA256';

const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const OVERHEAD = NONCE_SIZE + TAG_SIZE;
const KDS_SALT = Buffer.from('encryption', 'utf8');
const EMPTY = Buffer.alloc(0);

export function isEncryptionAlgorithm(name: string): name is EncryptionAlgorithm {
  return (ENCRYPTION_ALGORITHMS as readonly string[]).includes(name);
}

/**
 * The key an encryptor works with: the algorithm and its derived key (KDS), not the master key. What a
 * worker thread gets, so that it can decrypt contents but derive nothing else (hash secret, other keys).
 */
export interface EncryptorKeys {
  readonly name: string;
  readonly derivedKey: Uint8Array;
}

function cipherFor(name: string): CipherGCMTypes | CipherChaCha20Poly1305Types {
  if (name === 'AES256-GCM-HMAC-SHA256') return 'aes-256-gcm';
  if (name === 'CHACHA20-POLY1305-HMAC-SHA256') return 'chacha20-poly1305';
  throw new UnsupportedError(`unknown encryption algorithm "${name}"`, {
    hint: `the repository's encryption must be one of ${ENCRYPTION_ALGORITHMS.join(', ')}`,
  });
}

/** Derives the key of kopia's content encryptor `name` from the repository master key (config "masterKey"). */
export function deriveEncryptorKeys(name: string, masterKey: Uint8Array): EncryptorKeys {
  cipherFor(name);
  if (masterKey.length === 0) {
    throw new CorruptionError(`${name}: the repository master key is empty`, {
      hint: 'the repository configuration is damaged; restore kopia.repository from a backup copy',
    });
  }
  return { name, derivedKey: hkdfSha256(masterKey, KDS_SALT, EMPTY, 32) };
}

/** The encryptor for keys from deriveEncryptorKeys (e.g. after they crossed a thread boundary). */
export function encryptorFromKeys(keys: EncryptorKeys): ContentEncryptor {
  return new HmacKeyedAead(keys.name, cipherFor(keys.name), Buffer.from(keys.derivedKey));
}

/** Creates kopia's content encryptor `name` keyed by the repository master key (config field "masterKey"). */
export function createEncryptor(name: string, masterKey: Uint8Array): ContentEncryptor {
  return encryptorFromKeys(deriveEncryptorKeys(name, masterKey));
}

class HmacKeyedAead implements ContentEncryptor {
  readonly name: string;
  readonly overhead = OVERHEAD;
  private readonly cipher: CipherGCMTypes | CipherChaCha20Poly1305Types;
  private readonly kds: Buffer;

  constructor(name: string, cipher: CipherGCMTypes | CipherChaCha20Poly1305Types, kds: Buffer) {
    this.name = name;
    this.cipher = cipher;
    this.kds = kds;
  }

  private contentKey(iv: Uint8Array): Buffer {
    return createHmac('sha256', this.kds).update(iv).digest();
  }

  encrypt(plaintext: Uint8Array, iv: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(plaintext.length + OVERHEAD);
    this.encryptInto(plaintext, iv, out, 0);
    return out;
  }

  encryptInto(plaintext: Uint8Array, iv: Uint8Array, out: Buffer, offset: number): number {
    const nonce = out.subarray(offset, offset + NONCE_SIZE);
    fillRandom(nonce);
    // node's typings need the cipher-specific overload; both AEADs take a 12-byte nonce and a 16-byte tag.
    const c = createCipheriv(this.cipher as CipherGCMTypes, this.contentKey(iv), nonce, { authTagLength: TAG_SIZE });
    c.setAAD(iv);
    let off = offset + NONCE_SIZE;
    const body = c.update(plaintext);
    off += body.copy(out, off);
    // Cipher.update returns a fresh ArrayBuffer (node sizes it a block larger, then copies into an exact
    // one) that V8 would free only at a GC: every chunk sealed faulted in fresh pages for its ciphertext,
    // ~200 page faults per MiB, more CPU than the AES itself. Freed at once, the next chunk's ciphertext
    // reuses the same mapped memory: 1.26-1.92 -> 0.51-0.78 CPU ms per MiB sealed (chunks of mixed sizes).
    releaseBuffer(body);
    off += c.final().copy(out, off);
    off += c.getAuthTag().copy(out, off);
    return off - offset;
  }

  decrypt(ciphertext: Uint8Array, iv: Uint8Array): Buffer {
    if (ciphertext.length < OVERHEAD) {
      throw new CorruptionError(`${this.name}: ciphertext of ${ciphertext.length} bytes is shorter than nonce and tag`, {
        hint: 'the blob is truncated; `cairn repository check` lists what is affected',
      });
    }
    const buf = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.length);
    const nonce = buf.subarray(0, NONCE_SIZE);
    const body = buf.subarray(NONCE_SIZE, buf.length - TAG_SIZE);
    const tag = buf.subarray(buf.length - TAG_SIZE);
    const d = createDecipheriv(this.cipher as CipherGCMTypes, this.contentKey(iv), nonce, { authTagLength: TAG_SIZE });
    d.setAAD(iv);
    d.setAuthTag(tag);
    const first = d.update(body);
    let last: Buffer;
    try {
      last = d.final();
    } catch (cause) {
      throw new CorruptionError(`${this.name}: authentication failed (data was modified or belongs to another id)`, {
        hint: 'the blob is damaged or was written by another repository; `cairn repository check` lists what is affected',
        cause,
      });
    }
    return last.length === 0 ? first : Buffer.concat([first, last]);
  }
}
