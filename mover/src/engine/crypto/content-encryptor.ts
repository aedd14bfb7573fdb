// Authenticated encryption of contents and blobs (kopia repo/encryption). The `iv` argument is kopia's
// "contentID" parameter: it keys the per-content HMAC-derived key and is the AEAD's associated data.
// For packed contents it is the last 16 bytes of the content hash; for a pack-local index the full hash;
// for whole blobs (blobcrypto) the 16 bytes encoded in the blob name.
export interface ContentEncryptor {
  /** Kopia's algorithm name, e.g. "AES256-GCM-HMAC-SHA256". */
  readonly name: string;
  /** Bytes added by encrypt (nonce + tag = 28). */
  readonly overhead: number;
  encrypt(plaintext: Uint8Array, iv: Uint8Array): Buffer;
  /** As encrypt, written into `out` at `offset` (room for plaintext.length + overhead); returns the length. */
  encryptInto(plaintext: Uint8Array, iv: Uint8Array, out: Buffer, offset: number): number;
  /** Throws CorruptionError when authentication fails. */
  decrypt(ciphertext: Uint8Array, iv: Uint8Array): Buffer;
}
