// A keyed content hash (kopia repo/hashing). The output is the content ID's hash part.
export interface KeyedHasher {
  /** Kopia's algorithm name, e.g. "HMAC-SHA256-128". */
  readonly name: string;
  /** Output length in bytes (16 or 32, 28 for SHA-224 variants). */
  readonly size: number;
  hash(data: Uint8Array): Buffer;
}
