// Turns one chunk into a content: keyed hash -> skip when the repository (or this worker) already has it ->
// compress when it pays -> encrypt. The per-content rules live in the content layer (prepareContent);
// this class adds the dedup checks and writes payloads into the job's shared buffer.
import { createHasher } from '../crypto/hashers.ts';
import { createEncryptor } from '../crypto/encryptors.ts';
import { compressorByName } from '../compression/compressors.ts';
import { ContentIdSet } from '../content/content-id-set.ts';
import { prepareContentFromHash } from '../content/prepare-content.ts';
import { createSplitter } from '../object/splitter-factory.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { Compressor } from '../compression/compressor.ts';
import type { ChunkSink, ChunkSplitter } from './segment-chunker.ts';
import type { PayloadBuffer } from './payload-buffer.ts';
import type { ChunkRecord, WorkerConfig } from './upload-protocol.ts';

export class ChunkPreparer implements ChunkSink {
  readonly splitter: ChunkSplitter;
  private readonly hasher: KeyedHasher;
  private readonly encryptor: ContentEncryptor;
  private readonly compressor: Compressor | undefined;
  private readonly existing: ContentIdSet | undefined;
  /** Contents this worker already prepared in this run: the main thread has them. */
  private readonly seen = new Set<string>();
  private out: PayloadBuffer | undefined;
  private bytesPrepared = 0;

  constructor(hasher: KeyedHasher, encryptor: ContentEncryptor, compressor: Compressor | undefined,
    splitter: ChunkSplitter, existing: ContentIdSet | undefined) {
    this.hasher = hasher;
    this.encryptor = encryptor;
    this.compressor = compressor;
    this.splitter = splitter;
    this.existing = existing;
  }

  beginJob(out: PayloadBuffer): void {
    this.out = out;
  }

  takeBytesPrepared(): number {
    const n = this.bytesPrepared;
    this.bytesPrepared = 0;
    return n;
  }

  accept(chunk: Uint8Array): ChunkRecord {
    const hash = this.hasher.hash(chunk);
    const contentId = hash.toString('hex');
    if (this.seen.has(contentId) || (this.existing?.hasHash(hash) ?? false)) {
      return { contentId, length: chunk.length, payloadOffset: -1, payloadLength: 0, compressionHeaderId: 0 };
    }
    this.seen.add(contentId);
    const prepared = prepareContentFromHash(chunk, hash, '', this.encryptor, this.compressor);
    if (this.out === undefined) throw new Error('beginJob was not called');
    const payloadOffset = this.out.append(prepared.payload);
    this.bytesPrepared += chunk.length;
    return {
      contentId, length: chunk.length, payloadOffset, payloadLength: prepared.payload.length,
      compressionHeaderId: prepared.compressionHeaderId,
    };
  }
}

export function createChunkPreparer(config: WorkerConfig): ChunkPreparer {
  const hasher = createHasher(config.hashName, Buffer.from(config.hmacSecret));
  const encryptor = createEncryptor(config.encryptionName, Buffer.from(config.masterKey));
  const compressor = config.compression === undefined || config.compression === 'none'
    ? undefined : compressorByName(config.compression);
  const existing = config.existing === undefined ? undefined : ContentIdSet.fromShared(config.existing);
  return new ChunkPreparer(hasher, encryptor, compressor, createSplitter(config.splitter), existing);
}
