// The content preparer handed to upload workers: keyed hash -> dedup (the repository's shared ContentIdSet
// and what this preparer already prepared) -> compress when it pays -> seal (AEAD), for file data (contents
// without a prefix letter). The repository's keys stay inside this layer: the main thread asks the content
// manager for an opaque, structured-cloneable spec (ContentManager.preparerSpec) and a worker turns it back
// into a preparer with ContentPreparer.fromSpec. Nothing above content/ reads the spec's fields, and the
// spec never reaches a log (workerData is not logged; the preparer's inspect/toJSON print no keys).
// Format: kopia content_manager_lock_free.go maybeCompressAndEncryptDataForPacking (prepare-content.ts).
import { inspect } from 'node:util';
import { compressorByName } from '../compression/compressors.ts';
import type { Compressor } from '../compression/compressor.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { createEncryptor } from '../crypto/encryptors.ts';
import { createHasher } from '../crypto/hashers.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import { CairnError, UnsupportedError } from '../errors.ts';
import { ContentIdSet } from './content-id-set.ts';
import { HashSet } from './hash-set.ts';
import { CompressionScratch, sealContentInto } from './prepare-content.ts';

declare const opaqueSpec: unique symbol;

/** What a worker needs to prepare contents, as an opaque value that survives postMessage / workerData. */
export interface ContentPreparerSpec {
  readonly [opaqueSpec]: 'ContentPreparerSpec';
}

/** The spec's real shape: known only to this module. */
interface SpecFields {
  readonly kind: 'cairn-content-preparer-v1';
  readonly hash: string;
  readonly hmacSecret: Uint8Array;
  readonly encryption: string;
  readonly masterKey: Uint8Array;
  /** Kopia compressor name, undefined for none. */
  readonly compression: string | undefined;
  /** ContentIdSet.toShared() of the contents the repository already has, or undefined. */
  readonly existing: SharedArrayBuffer | undefined;
}

export interface PreparerSpecInput {
  readonly hash: string;
  readonly hmacSecret: Uint8Array;
  readonly encryption: string;
  readonly masterKey: Uint8Array;
  readonly compression: string | undefined;
  readonly existing: ContentIdSet | undefined;
}

/** Builds the spec (content layer only: the content manager calls it with the repository's keys). */
export function createPreparerSpec(input: PreparerSpecInput): ContentPreparerSpec {
  const compression = input.compression === undefined || input.compression === '' || input.compression === 'none'
    ? undefined : input.compression;
  // an unknown or unsupported name fails here, on the main thread, before any worker starts
  if (compression !== undefined && !compressorByName(compression).supported) {
    throw new UnsupportedError(`compression "${compression}" cannot be written by Cairn`, {
      hint: 'choose zstd, gzip or deflate (or none) for the snapshot\'s compression',
    });
  }
  const fields: SpecFields = {
    kind: 'cairn-content-preparer-v1',
    hash: input.hash,
    hmacSecret: Uint8Array.from(input.hmacSecret),
    encryption: input.encryption,
    masterKey: Uint8Array.from(input.masterKey),
    compression,
    existing: input.existing?.toShared(),
  };
  return fields as unknown as ContentPreparerSpec;
}

/** One chunk's outcome when sealed into the caller's buffer: payloadLength -1 when the content exists. */
export interface PreparedInto {
  readonly contentId: string;
  readonly payloadLength: number;
  readonly compressionHeaderId: number;
}

export class ContentPreparer {
  readonly #hasher: KeyedHasher;
  readonly #encryptor: ContentEncryptor;
  readonly #compressor: Compressor | undefined;
  readonly #existing: ContentIdSet | undefined;
  /** Hashes of the contents this preparer already returned a payload for (the caller stores them). */
  #seen: HashSet | undefined;
  /** Reused compression output (header + stream): no allocation per chunk on the hot path. */
  readonly #scratch = new CompressionScratch();

  private constructor(hasher: KeyedHasher, encryptor: ContentEncryptor, compressor: Compressor | undefined, existing: ContentIdSet | undefined) {
    this.#hasher = hasher;
    this.#encryptor = encryptor;
    this.#compressor = compressor;
    this.#existing = existing;
  }

  /** The preparer a spec describes (in a worker thread); UnsupportedError for unknown algorithms. */
  static fromSpec(spec: ContentPreparerSpec): ContentPreparer {
    const f = spec as unknown as Partial<SpecFields>;
    if (f.kind !== 'cairn-content-preparer-v1' || typeof f.hash !== 'string' || typeof f.encryption !== 'string' ||
        !(f.hmacSecret instanceof Uint8Array) || !(f.masterKey instanceof Uint8Array)) {
      throw new CairnError('INTERNAL', 'content preparer spec is malformed (not made by ContentManager.preparerSpec)');
    }
    return new ContentPreparer(
      createHasher(f.hash, Buffer.from(f.hmacSecret)),
      createEncryptor(f.encryption, Buffer.from(f.masterKey)),
      f.compression === undefined ? undefined : compressorByName(f.compression),
      f.existing === undefined ? undefined : ContentIdSet.fromShared(f.existing),
    );
  }

  /** The most bytes prepareInto may write for `dataLength` bytes of data. */
  maxPayloadLength(dataLength: number): number {
    return dataLength + this.#encryptor.overhead;
  }

  /**
   * Hashes `data` (file data, no prefix) and, unless the content exists, compresses it into a reused buffer
   * and seals it straight into `out` at `offset` (room for maxPayloadLength(data.length)): one allocation
   * per chunk (the cipher's) instead of four, so a worker's memory does not fill with garbage between
   * collections. Compression that would not pay stops as soon as its output reaches the data's size.
   */
  prepareInto(data: Uint8Array, out: Buffer, offset: number): PreparedInto {
    const hash = this.#hasher.hash(data);
    const contentId = hash.toString('hex');
    if ((this.#existing?.hasHash(hash) ?? false) || !(this.#seen ??= new HashSet(hash.length)).add(hash)) {
      return { contentId, payloadLength: -1, compressionHeaderId: 0 };
    }
    const sealed = sealContentInto(data, hash, this.#encryptor, this.#compressor, this.#scratch, out, offset);
    return { contentId, payloadLength: sealed.payloadLength, compressionHeaderId: sealed.compressionHeaderId };
  }

  toJSON(): string {
    return 'ContentPreparer';
  }

  [inspect.custom](): string {
    return `ContentPreparer(${this.#hasher.name}, ${this.#encryptor.name}, ${this.#compressor?.name ?? 'no compression'})`;
  }
}
