// THE pack reader of the pipelines and maintenance: many contents of one pack with few ranged GETs
// (pack-read-plan.ts coalesces neighbours), each content authenticated, decrypted, decompressed and checked
// against its index entry (pack-range-decoder.ts). Results are per content: the plain bytes or a typed
// error naming the content and the pack (kopia committed_read_manager.go getContentDataReadLocked +
// decryptContentAndVerify; restic repository.LoadBlobsFromPack for the grouping). Callers that decode in
// worker threads take the raw range bytes (fetch) and hand `workerSpec` to their workers.
import type { BlobReader } from '../blob/blob-store.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { CairnError, CorruptionError, isCairnError } from '../errors.ts';
import type { RepositoryFormat } from '../format/repository-config.ts';
import { forEachBounded } from '../util/for-each-bounded.ts';
import type { ContentInfo } from './content-info.ts';
import { planPackReads, type PackRange, type RangePlanOptions } from './pack-read-plan.ts';
import { PackRangeDecoder, packDecoderSpec, type PackContentResult, type PackDecoderSpec } from './pack-range-decoder.ts';

export type { PackContentResult, PackDecoderSpec, PackRange, RangePlanOptions };

/** Default range planning: 16 MiB GETs, gaps up to 256 KiB read through. */
export const DEFAULT_RANGE_PLAN: RangePlanOptions = { maxRangeBytes: 16 * 1024 * 1024, maxGapBytes: 256 * 1024 };

export interface PackReadOptions extends Partial<RangePlanOptions> {
  /** Range GETs in flight (default 8). */
  readonly parallel?: number;
  /** Once aborted, no further range is fetched (ranges in flight still report). */
  readonly signal?: AbortSignal | undefined;
}

/** One ranged GET and its contents, in pack order. */
export interface PackRangeResult {
  readonly range: PackRange;
  /** Bytes fetched (0 when the GET failed; every content then carries that failure). */
  readonly bytesRead: number;
  readonly contents: readonly PackContentResult[];
}

/** The error every content of a range gets when the range cannot be fetched. */
function fetchFailure(range: PackRange, e: CairnError): CairnError {
  if (e.code === 'NOT_FOUND') {
    return new CorruptionError(`pack ${range.packBlobId} is missing: ${e.message}`, {
      cause: e,
      hint: 'the repository is missing data; `cairn snapshot verify` lists the affected files',
    });
  }
  return new CairnError(e.code, `pack ${range.packBlobId} cannot be read: ${e.message}`, {
    cause: e,
    retryable: e.retryable,
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
  });
}

export class PackContentsReader {
  /** What a worker thread needs to decode ranges (PackRangeDecoder.fromSpec); undefined: decode here. */
  readonly workerSpec: PackDecoderSpec | undefined;
  private readonly blobs: BlobReader;
  private readonly decoder: PackRangeDecoder;

  constructor(blobs: BlobReader, encryptor: ContentEncryptor, workerSpec?: PackDecoderSpec) {
    this.blobs = blobs;
    this.decoder = new PackRangeDecoder(encryptor);
    this.workerSpec = workerSpec;
  }

  /** The reader of a repository: its encryptor here, and the same keys for workers. */
  static forFormat(blobs: BlobReader, format: RepositoryFormat): PackContentsReader {
    const cfg = format.config;
    const spec = format.encryptor.name === cfg.encryption ? packDecoderSpec(cfg.encryption, cfg.masterKey) : undefined;
    return new PackContentsReader(blobs, format.encryptor, spec);
  }

  /** Every pack blob (data packs `p`, metadata packs `q`) with its stored length, as storage lists it. */
  async *listPacks(): AsyncIterable<{ readonly id: string; readonly length: number }> {
    for (const prefix of ['p', 'q']) for await (const b of this.blobs.list(prefix)) yield { id: b.id, length: b.length };
  }

  /** The ranged GETs that cover `contents` (grouped by pack, neighbours coalesced). */
  plan(contents: Iterable<ContentInfo>, options: Partial<RangePlanOptions> = {}): PackRange[] {
    return planPackReads(contents, { ...DEFAULT_RANGE_PLAN, ...options });
  }

  /**
   * The stored bytes of a range; storage errors as the blob store throws them (NOT_FOUND: no such pack).
   * `into` (optional): memory the store may read into (ByteRange.into); the result may or may not be in it.
   */
  fetch(range: PackRange, into?: Uint8Array): Promise<Buffer> {
    return this.blobs.get(range.packBlobId, { offset: range.offset, length: range.length, into });
  }

  /** The contents of a fetched range, in its order (see PackRangeDecoder.decode). */
  decode(range: PackRange, data: Uint8Array): Generator<PackContentResult> {
    return this.decoder.decode(range, data);
  }

  /** Reads and decodes every given content; `onRange` gets each range's results as it completes. */
  async read(contents: Iterable<ContentInfo>, options: PackReadOptions, onRange: (result: PackRangeResult) => void): Promise<void> {
    const ranges = this.plan(contents, options);
    await forEachBounded(ranges, options.parallel ?? 8, async (range) => {
      if (options.signal?.aborted === true) return;
      onRange(await this.readRange(range));
    });
  }

  /** One range fetched and decoded; a storage failure becomes every content's error. */
  async readRange(range: PackRange): Promise<PackRangeResult> {
    let data: Buffer;
    try {
      data = await this.fetch(range);
    } catch (e) {
      if (!isCairnError(e)) throw e;
      const error = fetchFailure(range, e);
      return { range, bytesRead: 0, contents: range.contents.map((info) => ({ info, error })) };
    }
    return { range, bytesRead: data.length, contents: [...this.decode(range, data)] };
  }

  /** One content's plain bytes; throws its typed error (CORRUPT naming content and pack, storage errors as is). */
  async readContent(info: ContentInfo): Promise<Buffer> {
    const payload = await this.blobs.get(info.packBlobId, { offset: info.packOffset, length: info.packedLength });
    return this.decoder.decodeContent(info, payload);
  }
}
