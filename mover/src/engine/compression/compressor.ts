// A compressor with kopia's header id (repo/compression/compression_ids.go). Compressed content payloads
// are `headerId as u32 big-endian ‖ stream`; the same id is recorded in the index entry.
export interface Compressor {
  /** Kopia's name, e.g. "zstd", "zstd-fastest", "gzip", "deflate-default". */
  readonly name: string;
  readonly headerId: number;
  /** Returns the raw stream (without the 4-byte header). */
  compress(data: Uint8Array): Buffer;
  /** Takes the raw stream (without the 4-byte header). */
  decompress(stream: Uint8Array): Buffer;
}
