// A cheap look at a large chunk before compressing it: random-looking bytes (media, archives, encrypted or
// already compressed files) cost zstd-3 ~0.8 ms per MiB only to be stored raw because the frame would not be
// smaller (kopia's rule). A 16 KiB sample spread over the chunk decides it instead, in the manner of btrfs'
// compression heuristic: a chunk is skipped only when the sampled bytes are near-uniform and no sampled window
// repeats another (a repeated random block is what LZ matching would still find).
// Storing a chunk raw is always correct: the choice trades a little size for time, never the format.
// On the shared bench dataset (1 MiB slices) it skips the random files' chunks and no chunk zstd-3 would shrink.

/** Chunks smaller than this are always offered to the compressor: it is cheap there, and a sample says less. */
export const SAMPLED_MIN_LENGTH = 64 * 1024;
const SAMPLE_BYTES = 16 * 1024;
const MAX_WINDOWS = 256;
/**
 * Windows start every 4 KiB (or a power-of-two multiple of it in chunks over 1 MiB), so a block repeated at
 * a disk-block multiple (a VM image's duplicate blocks) puts two windows on the same bytes.
 */
const MIN_STRIDE = 4096;
/** The sample is taken in this many passes, each spread over the whole chunk, so text is turned away after one. */
const PASSES = 4;
/**
 * The order-0 entropy (bits per byte) a sample must reach after one pass (~4 KiB) and after all (~16 KiB).
 * Uniform bytes measure ~7.955 and ~7.989 (the plug-in estimate is biased low by 255 / (2·n·ln 2), with a
 * spread ~0.004 and ~0.001), text ~5, the dataset's mixed 64 KiB blocks ~7: the thresholds sit 8 spreads
 * below uniform, so random data is practically never offered to zstd, and anything with structure is.
 */
const FIRST_PASS_MIN_BITS = 7.8;
const MIN_BITS = 7.98;
const KEY_BYTES = 8;

const counts = new Uint32Array(256);
const windowKeys = new Int32Array(MAX_WINDOWS);

/** True when compressing `data` is very unlikely to make it smaller. */
export function looksIncompressible(data: Uint8Array): boolean {
  const length = data.length;
  if (length < SAMPLED_MIN_LENGTH) return false;
  let stride = MIN_STRIDE;
  while (Math.ceil(length / stride) > MAX_WINDOWS) stride *= 2;
  const windows = Math.floor((length - KEY_BYTES) / stride) + 1;
  const windowBytes = Math.ceil(SAMPLE_BYTES / windows);
  counts.fill(0);
  let counted = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    for (let w = pass; w < windows; w += PASSES) {
      const start = w * stride;
      const end = Math.min(start + windowBytes, length);
      for (let i = start; i < end; i++) counts[data[i]!]!++;
      counted += end - start;
      // the window's first 8 bytes stand for it: equal ones in random-looking data mean a repeat (a false
      // match only makes the chunk "compressible", the safe side)
      windowKeys[w] = Math.imul(data[start]! | (data[start + 1]! << 8) | (data[start + 2]! << 16) | (data[start + 3]! << 24), 0x9e3779b1)
        ^ (data[start + 4]! | (data[start + 5]! << 8) | (data[start + 6]! << 16) | (data[start + 7]! << 24));
    }
    if (pass === 0 && entropyBits(counted) < FIRST_PASS_MIN_BITS) return false;
  }
  if (entropyBits(counted) < MIN_BITS) return false;
  const keys = windowKeys.subarray(0, windows).sort();
  for (let w = 1; w < windows; w++) if (keys[w] === keys[w - 1]) return false;
  return true;
}

/** Order-0 entropy of the counted bytes, in bits per byte. */
function entropyBits(total: number): number {
  let bits = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b]!;
    if (c !== 0) bits -= c * Math.log2(c / total);
  }
  return bits / total;
}
