// Decoding the bytes of one ranged pack read into its contents: per content, AEAD authentication and
// decryption, decompression, and the length check against the index entry. The worker-thread half of the
// pack reader (pack-contents-reader.ts): a PackDecoderSpec carries what decoding needs across a thread
// boundary — the encryption algorithm and its derived key, never the master key — and is built and read
// only in this layer, so pipelines hand it to their workers without seeing key material.
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { deriveEncryptorKeys, encryptorFromKeys, isEncryptionAlgorithm, type EncryptorKeys } from '../crypto/encryptors.ts';
import { CorruptionError, isCairnError, type CairnError } from '../errors.ts';
import type { ContentInfo } from './content-info.ts';
import type { PackRange } from './pack-read-plan.ts';
import { openPackedContent } from './pack-reader.ts';

/** Opaque to callers: pass it to a worker (structured clone) and back into PackRangeDecoder.fromSpec. */
export interface PackDecoderSpec {
  readonly keys: EncryptorKeys;
}

/** One content of a range: its verified plain bytes, or why it cannot be read (a typed error). */
export type PackContentResult =
  | { readonly info: ContentInfo; readonly data: Buffer; readonly error?: undefined }
  | { readonly info: ContentInfo; readonly data?: undefined; readonly error: CairnError };

/**
 * The spec for a repository's content encryption, or undefined when workers cannot rebuild it (an
 * algorithm this build does not know; the caller then decodes on its own thread).
 */
export function packDecoderSpec(encryption: string, masterKey: Uint8Array): PackDecoderSpec | undefined {
  if (!isEncryptionAlgorithm(encryption)) return undefined;
  return { keys: deriveEncryptorKeys(encryption, masterKey) };
}

export class PackRangeDecoder {
  private readonly encryptor: ContentEncryptor;
  private readonly frameChecks: boolean;

  /** `frameChecks` false: compression formats' own checksums are skipped (restore's writers; Compressor.decompress). */
  constructor(encryptor: ContentEncryptor, frameChecks = true) {
    this.encryptor = encryptor;
    this.frameChecks = frameChecks;
  }

  /** A decoder rebuilt from a spec (in a worker thread). */
  static fromSpec(spec: PackDecoderSpec, frameChecks = true): PackRangeDecoder {
    return new PackRangeDecoder(encryptorFromKeys(spec.keys), frameChecks);
  }

  /** One content's plain bytes from its stored bytes; throws CORRUPT (naming content and pack) or UNSUPPORTED. */
  decodeContent(info: ContentInfo, payload: Uint8Array): Buffer {
    const plain = openPackedContent(payload, info, this.encryptor, this.frameChecks);
    if (plain.length !== info.originalLength) {
      throw new CorruptionError(`content ${info.contentId} in pack ${info.packBlobId} decoded to ${plain.length} bytes, the index says ${info.originalLength}`, {
        hint: 'the index entry and the pack disagree; `cairn snapshot verify --read-data-percent 100` lists the affected files',
      });
    }
    return plain;
  }

  /**
   * The contents of `range` in its order, from `data` (the range's bytes, data[0] = pack offset
   * range.offset). Typed failures are results; anything else (a bug) is thrown.
   */
  *decode(range: PackRange, data: Uint8Array): Generator<PackContentResult> {
    for (const info of range.contents) yield this.decodeOne(range, data, info);
  }

  private decodeOne(range: PackRange, data: Uint8Array, info: ContentInfo): PackContentResult {
    const start = info.packOffset - range.offset;
    try {
      if (start < 0 || start + info.packedLength > data.length) {
        throw new CorruptionError(`content ${info.contentId} lies outside the ${data.length} bytes read from pack ${range.packBlobId} at offset ${range.offset}`, {
          hint: 'the pack is shorter than its index entries say; `cairn snapshot verify --read-data-percent 100` lists the affected files',
        });
      }
      return { info, data: this.decodeContent(info, data.subarray(start, start + info.packedLength)) };
    } catch (e) {
      if (!isCairnError(e)) throw e;
      return { info, error: e };
    }
  }
}
