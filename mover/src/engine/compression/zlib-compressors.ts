// DEFLATE-family compressors on node:zlib. Kopia: compressor_gzip.go (compress/gzip), compressor_pgzip.go
// (klauspost/pgzip: a gzip stream made of independently compressed blocks), compressor_deflate.go
// (klauspost/compress/flate: raw RFC 1951, no zlib header). Gzip decoding accepts concatenated members,
// as Go's gzip.Reader (multistream) does; levels map one to one (default = 6, best speed = 1, best = 9).
import { constants, deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { CorruptionError } from '../errors.ts';
import type { Compressor } from './compressor.ts';

export const ZLIB_DEFAULT_LEVEL = constants.Z_DEFAULT_COMPRESSION;
export const ZLIB_BEST_SPEED = constants.Z_BEST_SPEED;
export const ZLIB_BEST_COMPRESSION = constants.Z_BEST_COMPRESSION;

type Inflate = (buf: Uint8Array, opts: { maxOutputLength: number }) => Buffer;

function zlibCompressor(
  name: string,
  headerId: number,
  deflate: (data: Uint8Array) => Buffer,
  inflate: Inflate,
): Compressor {
  return {
    name,
    headerId,
    deprecated: false,
    supported: true,
    compress: deflate,
    decompress(stream: Uint8Array, maxLength: number): Buffer {
      let out: Buffer;
      try {
        // node wants maxOutputLength ≥ 1; a longer result is caught below
        out = inflate(stream, { maxOutputLength: Math.max(1, maxLength) });
      } catch (e) {
        const tooLarge = (e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
        throw new CorruptionError(
          tooLarge
            ? `${name} stream decodes to more than the expected ${maxLength} bytes`
            : `${name} stream is invalid: ${(e as Error).message}`,
          { hint: 'the content is damaged or does not match its index entry; `cairn snapshot verify --read-data-percent 100` lists the affected files', cause: e },
        );
      }
      if (out.length > maxLength) {
        throw new CorruptionError(`${name} stream decodes to more than the expected ${maxLength} bytes`, {
          hint: 'the content does not match its index entry; `cairn snapshot verify --read-data-percent 100` lists the affected files',
        });
      }
      return out;
    },
  };
}

/** gzip and pgzip (pgzip output is an ordinary gzip stream, possibly of several members). */
export function createGzipCompressor(name: string, headerId: number, level: number): Compressor {
  return zlibCompressor(name, headerId, (d) => gzipSync(d, { level }), gunzipSync);
}

export function createDeflateCompressor(name: string, headerId: number, level: number): Compressor {
  return zlibCompressor(name, headerId, (d) => deflateRawSync(d, { level }), inflateRawSync);
}
