// Layer: compression. Pure, synchronous, no I/O. Guarantees:
// - every compressor kopia registers (repo/compression/compression_ids.go, compressor_*.go) is known by its
//   kopia name and header id; the ones we can run (zstd, gzip, pgzip, deflate) produce streams kopia
//   decodes and decode the streams kopia produces; s2 and lz4 are registered but throw UnsupportedError;
// - decompression never produces more than the caller's bound (decompression bombs fail with
//   CorruptionError instead of exhausting memory);
// - a content payload is `headerId as u32 big-endian ‖ stream` (compressors.ts compressContent /
//   decompressContent), the same header id the index entry records.

/** A compressor with kopia's header id. */
export interface Compressor {
  /** Kopia's name, e.g. "zstd", "zstd-fastest", "gzip", "deflate-default". */
  readonly name: string;
  readonly headerId: number;
  /** Kopia marks it deprecated: readable, but not offered for new policies (zstd-best-compression, lz4). */
  readonly deprecated: boolean;
  /** False for the ids Cairn can only name (s2, lz4): compress/decompress throw UnsupportedError. */
  readonly supported: boolean;
  /** Returns the raw stream (without the 4-byte header). */
  compress(data: Uint8Array): Buffer;
  /**
   * Writes the raw stream into `dst` and returns its length, or -1 when it does not fit (the caller sizes
   * `dst` to what would pay, so -1 means "store uncompressed"). Optional: compressors without it are used
   * through compress().
   */
  compressInto?(data: Uint8Array, dst: Uint8Array): number;
  /**
   * Takes the raw stream (without the 4-byte header). Throws CorruptionError when the stream is invalid or
   * would decode to more than `maxLength` bytes (pass the content's original length from the index).
   * `frameChecks` false skips a format's own optional checksum (zstd's XXH64) where the caller has
   * authenticated the stream and wants speed over a second check (restore; see zstd-compressor.ts).
   */
  decompress(stream: Uint8Array, maxLength: number, frameChecks?: boolean): Buffer;
}
