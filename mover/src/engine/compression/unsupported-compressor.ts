// Compressors kopia registers that Cairn can only name: S2 (klauspost/compress/s2 framed stream; no mature
// JavaScript implementation) and LZ4 (header 0x1400, removed from kopia itself after v0.22.3).
import { UnsupportedError } from '../errors.ts';
import type { Compressor } from './compressor.ts';

export function createUnsupportedCompressor(name: string, headerId: number, deprecated: boolean, hint: string): Compressor {
  const fail = (): never => {
    throw new UnsupportedError(`compression "${name}" (header 0x${headerId.toString(16)}) is not supported by Cairn`, { hint });
  };
  return { name, headerId, deprecated, supported: false, compress: fail, decompress: fail };
}
