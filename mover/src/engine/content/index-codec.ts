// Version dispatch for index bytes (kopia repo/content/index/index.go Open, index_builder.go Build).
import { CorruptionError, UnsupportedError } from '../errors.ts';
import type { IndexBuilder } from './index-builder.ts';
import type { IndexSegment } from './index-segment.ts';
import { IndexV1, encodeIndexV1 } from './index-v1.ts';
import { IndexV2, encodeIndexV2 } from './index-v2.ts';

/** Parses decrypted index bytes of either version. `v1Overhead` is the encryptor overhead (28). */
export function openIndex(data: Buffer, source: string, v1Overhead: number): IndexSegment {
  if (data.length === 0) {
    throw new CorruptionError(`index ${source} is empty (0 bytes)`, {
      hint: 'a crash may have left an empty index blob; move it out of the repository and rebuild the index from the packs with `cairn index recover --commit`',
    });
  }
  switch (data[0]) {
    case 1:
      return new IndexV1(data, source, v1Overhead);
    case 2:
      return new IndexV2(data, source);
    default:
      throw new CorruptionError(`index ${source} has unknown version byte ${data[0]}`, {
        hint: 'the index blob is damaged or was written by a newer kopia',
      });
  }
}

/** Encodes the builder's entries in the repository's index version. */
export function buildIndex(builder: IndexBuilder, version: number, options: { readonly randomSuffix?: boolean } = {}): Buffer {
  switch (version) {
    case 1:
      return encodeIndexV1(builder.sorted(), options);
    case 2:
      return encodeIndexV2(builder.sorted(), options);
    default:
      throw new UnsupportedError(`index version ${version} is not supported (1 or 2)`, {
        hint: 'upgrade Cairn or use a repository with index version 1 or 2',
      });
  }
}
