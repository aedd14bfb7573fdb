// Legacy object-level compression (kopia 'Z' object IDs, index v1 repositories): the content holds
// `headerId (u32 BE) ‖ stream` and the header alone selects the decompressor (object_reader.go,
// compression.DecompressByHeader).
import { decompressByHeader } from '../compression/compressors.ts';

/** Upper bound on a decompressed legacy chunk when its length is not known (kopia caps contents below 2^28). */
const MAX_CHUNK = 1 << 28;

export function decompressLegacyObject(payload: Uint8Array, expectedLength?: number): Buffer {
  return decompressByHeader(payload, expectedLength ?? MAX_CHUNK);
}
