// An in-memory repository for the restore and verify unit tests: real AEAD, keyed hash and compression
// framing, contents appended to p/q packs in a MemoryBlobStore, the real object manager with fixed-size
// splitting, and a synchronous objects.put and a mutable index (contents.index) so tests can build and
// damage trees directly. New tests should prefer the real repository (memory-repository.ts); the e2e round
// trips are the proof of a feature.
import { randomBytes } from 'node:crypto';
import { MemoryBlobStore } from '../../blob/memory-store.ts';
import type { BlobStore } from '../../blob/blob-store.ts';
import { compressContent, compressorByName } from '../../compression/compressors.ts';
import { ContentIdSet } from '../../content/content-id-set.ts';
import type { ContentInfo } from '../../content/content-info.ts';
import type { ContentReader, WriteContentOptions } from '../../content/content-store.ts';
import { createEncryptor } from '../../crypto/encryptors.ts';
import { createHasher } from '../../crypto/hashers.ts';
import type { ContentEncryptor } from '../../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../../crypto/keyed-hasher.ts';
import { NotFoundError } from '../../errors.ts';
import type { RepositoryFormat } from '../../format/repository-config.ts';
import { FixedSplitter } from '../../object/fixed-splitter.ts';
import { buildIndirectObject } from '../../object/indirect-object.ts';
import { ObjectManager } from '../../object/object-manager.ts';
import type { RepositoryReader } from '../../repo/repository.ts';
import { contentIdPrefix, contentIv } from '../../content/content-id.ts';
import { PackContentsReader } from '../../content/pack-contents-reader.ts';
import { packDecoderSpec } from '../../content/pack-range-decoder.ts';
import { MemoryManifestStore } from './memory-manifest-store.ts';

export interface FakeRepositoryOptions {
  /** Object chunk size (fixed splitting). */
  readonly chunkSize?: number;
  /** Pack size threshold. */
  readonly packSize?: number;
  /** Compressor for file contents ("none" = stored). */
  readonly compression?: string;
  /** Keys (default: random), to reopen a repository kept on disk by a benchmark. */
  readonly secret?: Buffer;
  readonly masterKey?: Buffer;
  /** Blob storage (default: a MemoryBlobStore). */
  readonly blobs?: BlobStore;
}

class FakeContents implements ContentReader {
  readonly index = new Map<string, ContentInfo>();
  private pending: { prefix: string; parts: Buffer[]; size: number; infos: ContentInfo[] }[] = [];
  private readonly blobs: BlobStore;
  private readonly puts: Promise<void>[] = [];
  private readonly hasher: KeyedHasher;
  private readonly encryptor: ContentEncryptor;
  private readonly packSize: number;
  private readonly packs: PackContentsReader;

  constructor(blobs: BlobStore, hasher: KeyedHasher, encryptor: ContentEncryptor, masterKey: Buffer, packSize: number) {
    this.blobs = blobs;
    this.hasher = hasher;
    this.encryptor = encryptor;
    this.packSize = packSize;
    this.packs = new PackContentsReader(blobs, encryptor, packDecoderSpec(encryptor.name, masterKey));
  }

  packReader(): PackContentsReader {
    return this.packs;
  }

  write(data: Uint8Array, prefix: string, compression: string | undefined): string {
    const id = prefix + this.hasher.hash(data).toString('hex');
    if (this.index.has(id)) return id;
    const packPrefix = prefix === '' ? 'p' : 'q';
    let pack = this.pending.find((p) => p.prefix === packPrefix);
    if (pack === undefined) {
      pack = { prefix: packPrefix, parts: [randomBytes(32)], size: 32, infos: [] };
      this.pending.push(pack);
    }
    const c = compression === undefined || compression === 'none' ? undefined : compressorByName(compression);
    const payload = c === undefined ? Buffer.from(data) : compressContent(c, data);
    const enc = this.encryptor.encrypt(payload, contentIv(id));
    pack.infos.push({
      contentId: id,
      packBlobId: '',
      packOffset: pack.size,
      packedLength: enc.length,
      originalLength: data.length,
      timestampSeconds: 1700000000,
      deleted: false,
      compressionHeaderId: c === undefined ? 0 : c.headerId,
      formatVersion: 2,
      encryptionKeyId: 0,
    });
    pack.parts.push(enc);
    pack.size += enc.length;
    // Visible for dedup immediately; packBlobId filled at flush.
    this.index.set(id, pack.infos[pack.infos.length - 1]!);
    if (pack.size >= this.packSize) this.flushPack(pack);
    return id;
  }

  writeContent(data: Uint8Array, options: WriteContentOptions): Promise<string> {
    return Promise.resolve(this.write(data, options.prefix, options.compression));
  }

  private flushPack(pack: { prefix: string; parts: Buffer[]; size: number; infos: ContentInfo[] }): void {
    const blobId = `${pack.prefix}${randomBytes(16).toString('hex')}-s${randomBytes(8).toString('hex')}`;
    this.puts.push(this.blobs.put(blobId, Buffer.concat(pack.parts)));
    for (const info of pack.infos) this.index.set(info.contentId, { ...info, packBlobId: blobId });
    this.pending = this.pending.filter((p) => p !== pack);
  }

  async flush(): Promise<void> {
    for (const p of [...this.pending]) this.flushPack(p);
    await Promise.all(this.puts.splice(0));
  }

  async getContent(contentId: string): Promise<Buffer> {
    const info = this.index.get(contentId);
    if (info === undefined || info.packBlobId === '') throw new NotFoundError(`content ${contentId} not found`);
    return this.packs.readContent(info);
  }

  contentInfo(contentId: string): ContentInfo | undefined {
    return this.index.get(contentId);
  }

  hasContent(contentId: string): boolean {
    return this.contentInfo(contentId)?.deleted === false;
  }

  *iterateContents(options: { readonly prefix?: string; readonly includeDeleted?: boolean } = {}): Iterable<ContentInfo> {
    for (const info of this.index.values()) {
      if (options.prefix !== undefined && !info.contentId.startsWith(options.prefix)) continue;
      if (info.deleted && options.includeDeleted !== true) continue;
      yield info;
    }
  }

  /** Tombstones included, as the content manager's indexedEntry. */
  indexedEntry(contentId: string): ContentInfo | undefined {
    return this.contentInfo(contentId);
  }

  contentIdSet(options: { readonly extraCapacity?: number; readonly unprefixedOnly?: boolean } = {}): ContentIdSet {
    const live = [...this.iterateContents()].filter((c) => options.unprefixedOnly !== true || contentIdPrefix(c.contentId) === '');
    return ContentIdSet.fromContents(live, options.extraCapacity);
  }
}

/** The real object manager (fixed-size splitting) plus a synchronous put for building test trees. */
class FakeObjects extends ObjectManager {
  private readonly fake: FakeContents;
  private readonly chunkSize: number;
  private readonly compression: string | undefined;

  constructor(contents: FakeContents, chunkSize: number, compression: string | undefined) {
    super(contents, { newSplitter: () => new FixedSplitter(chunkSize) });
    this.fake = contents;
    this.chunkSize = chunkSize;
    this.compression = compression;
  }

  /** Writes a whole object synchronously; returns its ID. */
  put(data: Uint8Array, prefix = ''): string {
    const ids: { length: number; objectId: string }[] = [];
    const comp = prefix === '' ? this.compression : 'zstd-fastest';
    for (let o = 0; o < data.length || (o === 0 && ids.length === 0); o += this.chunkSize) {
      const part = data.subarray(o, Math.min(data.length, o + this.chunkSize));
      ids.push({ length: part.length, objectId: this.fake.write(part, prefix, comp) });
      if (data.length === 0) break;
    }
    if (ids.length === 1) return ids[0]!.objectId;
    let start = 0;
    const entries = ids.map((c) => {
      const e = { start, length: c.length, objectId: c.objectId };
      start += c.length;
      return e;
    });
    return 'I' + this.fake.write(buildIndirectObject(entries), prefix === '' ? 'x' : prefix, 'zstd-fastest');
  }
}

export class FakeRepository implements RepositoryReader {
  readonly blobs: MemoryBlobStore;
  readonly manifests = new MemoryManifestStore();
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  readonly contents: FakeContents;
  readonly objects: FakeObjects;
  readonly format: RepositoryFormat;

  constructor(options: FakeRepositoryOptions = {}) {
    // Typed as MemoryBlobStore for the test helpers (corrupt); any BlobStore works for reads and writes.
    this.blobs = (options.blobs ?? new MemoryBlobStore()) as MemoryBlobStore;
    const secret = options.secret ?? randomBytes(32);
    const masterKey = options.masterKey ?? randomBytes(32);
    this.hasher = createHasher('HMAC-SHA256-128', secret);
    this.encryptor = createEncryptor('AES256-GCM-HMAC-SHA256', masterKey);
    this.contents = new FakeContents(this.blobs, this.hasher, this.encryptor, masterKey, options.packSize ?? 256 * 1024);
    this.objects = new FakeObjects(this.contents, options.chunkSize ?? 64 * 1024, options.compression);
    this.format = {
      uniqueId: randomBytes(32),
      keyAlgo: 'scrypt-65536-8-1',
      config: {
        hash: 'HMAC-SHA256-128',
        encryption: 'AES256-GCM-HMAC-SHA256',
        ecc: '',
        eccOverheadPercent: 0,
        hmacSecret: secret,
        masterKey,
        version: 3,
        maxPackSize: 20 * 1024 * 1024,
        indexVersion: 2,
        epochParameters: {
          enabled: true,
          epochRefreshFrequencyMs: 1_200_000,
          fullCheckpointFrequency: 7,
          cleanupSafetyMarginMs: 14_400_000,
          minEpochDurationMs: 86_400_000,
          epochAdvanceOnCountThreshold: 20,
          epochAdvanceOnTotalSizeBytesThreshold: 10_485_760,
          deleteParallelism: 4,
        },
        enablePasswordChange: true,
        splitter: 'FIXED-64K',
      },
      blobStorageConfig: { retentionMode: '', retentionPeriodMs: 0 },
      hasher: this.hasher,
      encryptor: this.encryptor,
      formatBlobBytes: Buffer.alloc(0),
      warnings: [],
      deriveKey: () => Buffer.alloc(32),
    };
  }

  /** Writes pending packs. */
  flush(): Promise<void> {
    return this.contents.flush();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
