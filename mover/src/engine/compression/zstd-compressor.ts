// Zstandard via zstd-napi (libzstd). Kopia uses klauspost/compress/zstd (repo/compression/compressor_zstd.go);
// the levels here mirror klauspost's speed presets: SpeedFastest ≈ 1, SpeedDefault ≈ 3,
// SpeedBetterCompression ≈ 7, SpeedBestCompression ≈ 11. Frames carry a checksum as klauspost's do.
// Decoding accepts any number of concatenated frames (klauspost's decoder does too).
import { createRequire } from 'node:module';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { CorruptionError } from '../errors.ts';
import type { Compressor } from './compressor.ts';

// Only the native binding is loaded, with one synchronous require: zstd-napi's high-level modules read
// the binding at load time, and importing both through the ESM loader once printed a spurious
// "non-existent property 'Strategy' … inside circular dependency" warning from a restore worker under load.
const binding = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof ZstdBinding;

type DCtx = InstanceType<typeof binding.DCtx>;

// ZSTD_d_forceIgnoreChecksum (an experimental libzstd parameter zstd-napi does not name; its setParameter
// passes the number through). Restore decodes without the frames' XXH64: every content was opened by an AEAD
// cipher (crypto/encryptors.ts) before it is decompressed, so the stored bytes are the written ones, and the
// decoded length is checked against the index — hashing every decoded byte again cost ~0.1 CPU-s per GB
// restored (shared dataset: restore CPU 3.34 -> 3.19 s). What the checksum still catches is an encoder or
// decoder bug (a frame that decodes to other bytes than were compressed): verify and every other read keep it.
const FORCE_IGNORE_CHECKSUM = 1002;

const contexts: { checking?: DCtx; trusting?: DCtx } = {};

function decompressionContext(frameChecks: boolean): DCtx {
  if (frameChecks) return (contexts.checking ??= new binding.DCtx());
  if (contexts.trusting === undefined) {
    contexts.trusting = new binding.DCtx();
    contexts.trusting.setParameter(FORCE_IGNORE_CHECKSUM as ZstdBinding.DParameter, 1);
  }
  return contexts.trusting;
}

export function createZstdCompressor(name: string, headerId: number, level: number, deprecated = false): Compressor {
  let cctx: InstanceType<typeof binding.CCtx> | undefined;
  const context = (): InstanceType<typeof binding.CCtx> => {
    if (cctx === undefined) {
      cctx = new binding.CCtx();
      cctx.setParameter(binding.CParameter.compressionLevel, level);
      cctx.setParameter(binding.CParameter.checksumFlag, 1);
    }
    return cctx;
  };
  return {
    compressInto(data: Uint8Array, dst: Uint8Array): number {
      const cctx = context();
      try {
        return cctx.compress2(dst, data);
      } catch {
        // libzstd refuses when the frame would not fit dst: it would not pay (any other failure would
        // have failed compress() too; storing the chunk uncompressed is always correct)
        cctx.reset(binding.ResetDirective.sessionOnly);
        return -1;
      }
    },
    name,
    headerId,
    deprecated,
    supported: true,
    compress(data: Uint8Array): Buffer {
      const dst = Buffer.allocUnsafe(binding.compressBound(data.length));
      return dst.subarray(0, context().compress2(dst, data));
    },
    decompress(stream: Uint8Array, maxLength: number, frameChecks = true): Buffer {
      return zstdDecompressBounded(name, stream, maxLength, frameChecks);
    },
  };
}

/** Buffers start at most this large and double as needed, so a generous bound does not cost its size up front. */
const INITIAL_OUTPUT_CAP = 16 << 20;
/** Bounds up to this size are decoded in one call into an exactly sized buffer. */
const ONE_SHOT_MAX = 64 << 20;

/**
 * Streams `src` through one decompression context. The output may grow to maxLength + 1 bytes: the spare
 * byte detects a stream that decodes to more than maxLength.
 */
export function zstdDecompressBounded(name: string, src: Uint8Array, maxLength: number, frameChecks = true): Buffer {
  const dctx = decompressionContext(frameChecks);
  if (maxLength <= ONE_SHOT_MAX) {
    // Contents carry their exact length in the index: one call into a buffer of that size is ~3x cheaper
    // than streaming into growing buffers, and libzstd itself refuses output beyond it.
    const out = Buffer.allocUnsafe(maxLength);
    let n: number;
    try {
      n = dctx.decompress(out, src);
    } catch (e) {
      throw new CorruptionError(`${name} stream is invalid or decodes to more than the expected ${maxLength} bytes (${(e as Error).message})`, {
        hint: 'the content is damaged or does not match its index entry; `cairn snapshot verify --read-data-percent 100` lists the affected files',
        cause: e,
      });
    }
    return n === maxLength ? out : out.subarray(0, n);
  }
  dctx.reset(binding.ResetDirective.sessionOnly);
  const limit = maxLength + 1;
  let out = Buffer.allocUnsafe(Math.min(limit, INITIAL_OUTPUT_CAP));
  let produced = 0;
  let input = src;
  try {
    while (true) {
      if (produced === out.length) {
        const bigger = Buffer.allocUnsafe(Math.min(limit, out.length * 2));
        out.copy(bigger, 0, 0, produced);
        out = bigger;
      }
      const [remaining, wrote, read] = dctx.decompressStream(out.subarray(produced), input);
      produced += wrote;
      input = input.subarray(read);
      if (produced > maxLength) {
        throw new CorruptionError(`${name} stream decodes to more than the expected ${maxLength} bytes`, {
          hint: 'the content does not match its index entry; `cairn snapshot verify --read-data-percent 100` lists the affected files',
        });
      }
      if (input.length === 0 && remaining === 0) break;
      if (wrote === 0 && read === 0 && produced < out.length) {
        throw new CorruptionError(`${name} stream is truncated after ${src.length - input.length} of ${src.length} bytes`, {
          hint: 'the content is damaged; `cairn snapshot verify --read-data-percent 100` lists the affected files',
        });
      }
    }
  } catch (e) {
    dctx.reset(binding.ResetDirective.sessionOnly);
    if (e instanceof CorruptionError) throw e;
    throw new CorruptionError(`${name} stream is invalid: ${(e as Error).message}`, {
      hint: 'the content is damaged; `cairn snapshot verify --read-data-percent 100` lists the affected files',
      cause: e,
    });
  }
  return out.subarray(0, produced);
}
