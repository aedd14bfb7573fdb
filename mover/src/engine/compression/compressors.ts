// The compressor registry with kopia's names and header ids (repo/compression/compression_ids.go,
// compressor.go), and the content payload framing `headerId (u32 BE) ‖ stream`.
import { CorruptionError, UnsupportedError } from '../errors.ts';
import type { Compressor } from './compressor.ts';
import { releaseBuffer } from '../util/release-buffer.ts';
import { createUnsupportedCompressor } from './unsupported-compressor.ts';
import {
  ZLIB_BEST_COMPRESSION,
  ZLIB_BEST_SPEED,
  ZLIB_DEFAULT_LEVEL,
  createDeflateCompressor,
  createGzipCompressor,
} from './zlib-compressors.ts';
import { createZstdCompressor } from './zstd-compressor.ts';

/** Header id 0: the content is stored uncompressed (policy name "none"). */
export const NO_COMPRESSION_HEADER_ID = 0;
export const COMPRESSION_HEADER_SIZE = 4;

const S2_HINT = 'restore this data with the kopia CLI, and choose zstd, gzip or deflate for snapshots Cairn must read';
const LZ4_HINT = 'LZ4 content can be read only by kopia v0.22.3 or older; rewrite it with that version first';

const ALL: readonly Compressor[] = [
  createGzipCompressor('gzip', 0x1000, ZLIB_DEFAULT_LEVEL),
  createGzipCompressor('gzip-best-speed', 0x1001, ZLIB_BEST_SPEED),
  createGzipCompressor('gzip-best-compression', 0x1002, ZLIB_BEST_COMPRESSION),
  createZstdCompressor('zstd', 0x1100, 3),
  createZstdCompressor('zstd-fastest', 0x1101, 1),
  createZstdCompressor('zstd-better-compression', 0x1102, 7),
  createZstdCompressor('zstd-best-compression', 0x1103, 11, true),
  createUnsupportedCompressor('s2-default', 0x1200, false, S2_HINT),
  createUnsupportedCompressor('s2-better', 0x1201, false, S2_HINT),
  createUnsupportedCompressor('s2-parallel-4', 0x1202, false, S2_HINT),
  createUnsupportedCompressor('s2-parallel-8', 0x1203, false, S2_HINT),
  createGzipCompressor('pgzip', 0x1300, ZLIB_DEFAULT_LEVEL),
  createGzipCompressor('pgzip-best-speed', 0x1301, ZLIB_BEST_SPEED),
  createGzipCompressor('pgzip-best-compression', 0x1302, ZLIB_BEST_COMPRESSION),
  createUnsupportedCompressor('lz4', 0x1400, true, LZ4_HINT),
  createDeflateCompressor('deflate-default', 0x1500, ZLIB_DEFAULT_LEVEL),
  createDeflateCompressor('deflate-best-speed', 0x1501, ZLIB_BEST_SPEED),
  createDeflateCompressor('deflate-best-compression', 0x1502, ZLIB_BEST_COMPRESSION),
];

const BY_NAME = new Map(ALL.map((c) => [c.name, c]));
const BY_ID = new Map(ALL.map((c) => [c.headerId, c]));

/** Every name kopia registers, in header-id order (including deprecated and unsupported ones). */
export const COMPRESSOR_NAMES: readonly string[] = ALL.map((c) => c.name);
/** Names Cairn can compress with and kopia does not deprecate: what a policy may choose. */
export const SELECTABLE_COMPRESSOR_NAMES: readonly string[] = ALL.filter((c) => c.supported && !c.deprecated).map((c) => c.name);

export function compressorByName(name: string): Compressor {
  const c = BY_NAME.get(name);
  if (c === undefined) {
    throw new UnsupportedError(`unknown compression "${name}"`, {
      hint: `use "none" or one of ${SELECTABLE_COMPRESSOR_NAMES.join(', ')}`,
    });
  }
  return c;
}

export function compressorByHeaderId(headerId: number): Compressor {
  const c = BY_ID.get(headerId);
  if (c === undefined) {
    throw new UnsupportedError(`unknown compression header id 0x${headerId.toString(16)}`, {
      hint: 'the repository was written by a newer kopia than Cairn knows; restore it with the kopia CLI',
    });
  }
  return c;
}

/** `headerId (u32 BE) ‖ compressed stream`: the payload kopia encrypts for a compressed content. */
export function compressContent(compressor: Compressor, data: Uint8Array): Buffer {
  const stream = compressor.compress(data);
  const out = Buffer.allocUnsafe(COMPRESSION_HEADER_SIZE + stream.length);
  out.writeUInt32BE(compressor.headerId, 0);
  stream.copy(out, COMPRESSION_HEADER_SIZE);
  releaseBuffer(stream); // copied: its memory is reused by the next content instead of waiting for a GC
  return out;
}

/**
 * Reverses compressContent. The payload's header must equal `expectedHeaderId` (the id recorded in the
 * index entry); the output is bounded by `maxLength` (the entry's original length).
 */
export function decompressContent(payload: Uint8Array, expectedHeaderId: number, maxLength: number, frameChecks = true): Buffer {
  const actual = readHeaderId(payload);
  if (actual !== expectedHeaderId) {
    throw new CorruptionError(
      `compression header is 0x${actual.toString(16)} but the index records 0x${expectedHeaderId.toString(16)}`,
      { hint: 'the content does not match its index entry; `cairn snapshot verify --read-data-percent 100` lists the affected files' },
    );
  }
  return compressorByHeaderId(actual).decompress(payload.subarray(COMPRESSION_HEADER_SIZE), maxLength, frameChecks);
}

/** For legacy object-level compression (kopia 'Z' object ids): the header alone selects the compressor. */
export function decompressByHeader(payload: Uint8Array, maxLength: number): Buffer {
  return compressorByHeaderId(readHeaderId(payload)).decompress(payload.subarray(COMPRESSION_HEADER_SIZE), maxLength);
}

function readHeaderId(payload: Uint8Array): number {
  if (payload.length < COMPRESSION_HEADER_SIZE) {
    throw new CorruptionError(`compressed payload of ${payload.length} bytes has no 4-byte compression header`, {
      hint: 'the content is damaged; `cairn snapshot verify --read-data-percent 100` lists the affected files',
    });
  }
  return ((payload[0]! << 24) >>> 0) + (payload[1]! << 16) + (payload[2]! << 8) + payload[3]!;
}
