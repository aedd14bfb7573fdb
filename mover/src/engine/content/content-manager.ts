// Content layer (CABS, kopia repo/content): content-addressed, deduplicated, encrypted storage of
// byte strings in pack blobs, located through index blobs.
// Guarantees:
// - a content ID is the keyed hash of the uncompressed bytes (+ prefix letter); writing bytes whose ID
//   has a live copy (committed or pending) stores nothing; a deleted copy is written again;
// - contents of prefixed IDs go to `q` packs, others to `p` packs (§5.1 layout, pack-writer.ts); packs
//   are sealed at maxPackSize and uploaded with bounded parallelism while writes continue;
// - a session marker exists before the first pack of a session is stored and is deleted after the
//   session's index blob is written; flush() = all packs, then ONE index blob (the commit point), which a
//   caller's CommitGate can refuse once its run is aborted; packs of this client's interrupted sessions
//   are indexed again by resumeInterruptedSessions() (interrupted-sessions.ts), never their manifests;
// - reads decrypt with IV = last 16 bytes of the hash and decompress per the index entry; any damage
//   is a CorruptionError naming content and pack.
// Format sources: kopia repo/content/{content_manager,content_manager_lock_free,committed_read_manager,
// committed_content_index,content_index_recovery,sessions}.go, repo/content/index/*.go,
// repo/content/indexblob/*.go, internal/epoch/*.go, internal/completeset/complete_set.go.
import { BufferPool } from '../util/buffer-pool.ts';
import type { BlobStore } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import { compressorByName } from '../compression/compressors.ts';
import type { Compressor } from '../compression/compressor.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import { CorruptionError, NotFoundError, UnsupportedError } from '../errors.ts';
import type { RepositoryFormat } from '../format/repository-config.ts';
import { CommittedIndex } from './committed-index.ts';
import { InvalidContentIdError } from './content-errors.ts';
import { isValidContentPrefix, packPrefixForContentId, validateContentId } from './content-id.ts';
import { ContentIdSet } from './content-id-set.ts';
import { createPreparerSpec, type ContentPreparerSpec } from './content-preparer.ts';
import type { ContentInfo } from './content-info.ts';
import type { ContentWriter, FlushOptions, PreparedContent, ResumeStats, WriteContentOptions } from './content-store.ts';
import { findInterruptedPacks } from './interrupted-sessions.ts';
import { EpochManager } from './epoch-manager.ts';
import type { IndexBlobManager } from './index-blob-manager.ts';
import { IndexBuilder } from './index-builder.ts';
import { collectAllGarbage } from '../util/collect-garbage.ts';
import { buildIndex } from './index-codec.ts';
import { LegacyIndexBlobManager } from './legacy-index-blobs.ts';
import type { IterateContentsOptions, MergedIndex } from './merged-index.ts';
import { mergeWithOverlay } from './overlay-iterator.ts';
import { PackContentsReader } from './pack-contents-reader.ts';
import { openPackedContent, readPackedPayload } from './pack-reader.ts';
import { PackWriter, formatBlobReplica, newPackBlobId } from './pack-writer.ts';
import { prepareContentFromHash } from './prepare-content.ts';
import { WriteSession, type ContentLogger } from './write-session.ts';

export type { ContentLogger } from './write-session.ts';

export interface ContentManagerOptions {
  /** Recorded in session markers (kopia SessionOptions). */
  readonly sessionUser?: string;
  readonly sessionHost?: string;
  /** Clock for index timestamps and cache ages (storage timestamps are used for epochs). */
  readonly now?: () => Date;
  readonly logger?: ContentLogger;
  /** Packs uploaded at the same time (default 3). */
  readonly uploadParallelism?: number;
  /** Seal packs at this size when it is below the format's maxPackSize (a backup with little memory). */
  readonly packSizeLimit?: number;
  /** Index blobs fetched at the same time while loading (default 8). */
  readonly fetchParallelism?: number;
  /** Committed-index refresh period (default 15 minutes, kopia indexRefreshFrequency). */
  readonly indexRefreshMs?: number;
  /**
   * Writes older than this are flushed by the next write (default 10 minutes, kopia
   * flushPackIndexTimeout), so a long backup commits its packs as it goes; 0 disables.
   */
  readonly autoFlushMs?: number;
}

export interface ContentManagerStats {
  writtenContents: number;
  writtenBytes: number;
  dedupedContents: number;
  dedupedBytes: number;
  uploadedPacks: number;
  uploadedBytes: number;
  indexBlobsWritten: number;
}

const MISS_REFRESH_MIN_MS = 10_000;
/** Packs uploaded at the same time; each holds a ~30 MiB buffer until stored. */
const DEFAULT_UPLOAD_PARALLELISM = 3;
/** previousWrite() result meaning a live copy exists. */
const LIVE = -2;
/** Pending entries from which a flush collects garbage before building the index blob (~6 MiB of blob). */
const FULL_GC_BEFORE_INDEX_ENTRIES = 100_000;

export class ContentManager implements ContentWriter {
  readonly hasher: KeyedHasher;
  readonly encryptor: ContentEncryptor;
  readonly format: RepositoryFormat;
  readonly stats: ContentManagerStats = {
    writtenContents: 0, writtenBytes: 0, dedupedContents: 0, dedupedBytes: 0, uploadedPacks: 0, uploadedBytes: 0, indexBlobsWritten: 0,
  };
  private readonly store: BlobStore;
  private readonly now: () => Date;
  private readonly logger: ContentLogger | undefined;
  private readonly committed: CommittedIndex;
  private readonly indexBlobs: IndexBlobManager;
  private readonly session: WriteSession;
  private readonly formatVersion: number;
  private readonly indexVersion: number;
  private readonly maxPackSize: number;
  /** Data-pack buffers sized for a full pack plus its largest content, reused across packs. */
  private readonly packBuffers: BufferPool;
  private readonly formatBlobReplica: Uint8Array | undefined;
  private readonly sessionUser: string;
  private readonly sessionHost: string;
  /** Contents in uploaded packs (and tombstones) not yet in an index blob. */
  private readonly pending = new IndexBuilder();
  private readonly openPacks = new Map<'p' | 'q', PackWriter>();
  private flushing: Promise<void> | undefined;
  private lastMissRefreshMs = 0;
  private packContents: PackContentsReader | undefined;
  private readonly autoFlushMs: number;
  private autoFlushAtMs: number;

  private constructor(store: BlobStore, format: RepositoryFormat, options: ContentManagerOptions) {
    const cfg = format.config;
    if (cfg.version < 1 || cfg.version > 3) {
      throw new UnsupportedError(`repository format version ${cfg.version} is not supported (1..3)`, { hint: 'use a newer Cairn or the kopia CLI' });
    }
    if (cfg.ecc !== '' && cfg.eccOverheadPercent > 0) {
      throw new UnsupportedError(`repository uses error correction "${cfg.ecc}", which Cairn does not implement`, {
        hint: 'use the kopia CLI for this repository, or create a repository without ECC',
      });
    }
    this.store = store;
    this.format = format;
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger;
    this.hasher = format.hasher;
    this.encryptor = format.encryptor;
    this.formatVersion = cfg.version;
    this.indexVersion = cfg.indexVersion === 0 ? 1 : cfg.indexVersion;
    // Smaller packs are valid kopia packs; the format's maxPackSize is an upper bound, not a contract.
    this.maxPackSize = Math.min(cfg.maxPackSize, options.packSizeLimit ?? Number.POSITIVE_INFINITY);
    this.packBuffers = new BufferPool(this.maxPackSize + 10 * 1024 * 1024, (options.uploadParallelism ?? DEFAULT_UPLOAD_PARALLELISM) + 1);
    this.autoFlushMs = options.autoFlushMs ?? 10 * 60_000;
    this.autoFlushAtMs = this.autoFlushMs > 0 ? this.now().getTime() + this.autoFlushMs : Number.POSITIVE_INFINITY;
    this.formatBlobReplica = cfg.enablePasswordChange ? undefined : formatBlobReplica(format.formatBlobBytes);
    this.sessionUser = options.sessionUser ?? '';
    this.sessionHost = options.sessionHost ?? '';
    const crypto = { hasher: this.hasher, encryptor: this.encryptor, now: this.now };
    this.indexBlobs = cfg.epochParameters.enabled
      ? new EpochManager(store, cfg.epochParameters, crypto)
      : new LegacyIndexBlobManager(store, this.hasher, this.encryptor, this.now);
    this.committed = new CommittedIndex(store, this.indexBlobs, this.encryptor, {
      now: this.now,
      fetchParallelism: options.fetchParallelism ?? 8,
      refreshMs: options.indexRefreshMs ?? 15 * 60_000,
    });
    this.session = new WriteSession(store, this.hasher, this.encryptor, {
      now: this.now,
      logger: this.logger,
      username: this.sessionUser,
      hostname: this.sessionHost,
      uploadParallelism: Math.max(1, options.uploadParallelism ?? DEFAULT_UPLOAD_PARALLELISM),
      onUploaded: (pack, bytes) => this.packUploaded(pack, bytes),
    });
  }

  /** Opens the content layer of a repository and loads its committed index. */
  static async open(store: BlobStore, format: RepositoryFormat, options: ContentManagerOptions = {}): Promise<ContentManager> {
    const cm = new ContentManager(store, format, options);
    await cm.committed.refresh();
    return cm;
  }

  /** Content-level compression needs index v2 (kopia SupportsContentCompression). */
  get supportsContentCompression(): boolean {
    return this.indexVersion >= 2;
  }

  /** Reloads the committed index from storage. */
  async refresh(): Promise<void> {
    await this.committed.refresh();
  }

  // ---- reading ----

  contentInfo(contentId: string): ContentInfo | undefined {
    return this.overlayInfo(contentId) ?? this.committed.index.get(contentId);
  }

  /** The committed winning entry whatever its state (tombstones below the watermark included). */
  indexedEntry(contentId: string): ContentInfo | undefined {
    return this.committed.index.getAny(contentId);
  }

  /**
   * The committed index as it is now, in a copy later refreshes do not change (pending writes excluded:
   * flush first). Maintenance marks and sweeps over it, as kopia freezes its index for a GC run.
   */
  frozenIndex(): MergedIndex {
    return this.committed.index.frozenCopy();
  }

  /**
   * Index recovery (kopia RecoverIndexFromPackBlob with commit): adds entries read from packs' local
   * indexes to the pending index; the next flush() writes them as one index blob.
   */
  addRecoveredEntries(entries: Iterable<ContentInfo>): void {
    for (const e of entries) this.pending.add(e);
  }

  /** True when a live (not deleted) copy exists, committed or pending; allocation-free for committed contents. */
  hasContent(contentId: string): boolean {
    const o = this.overlayInfo(contentId);
    if (o !== undefined) return !o.deleted;
    return this.committed.index.has(contentId);
  }

  async getContent(contentId: string): Promise<Buffer> {
    validateContentId(contentId);
    await this.committed.maybeRefresh();
    let info = this.contentInfo(contentId);
    if ((info === undefined || info.deleted) && (await this.refreshAfterMiss())) info = this.contentInfo(contentId);
    // A deleted (tombstoned) content stays readable until maintenance drops it, as in kopia: a snapshot
    // that raced with garbage collection must still restore (the next GC undeletes what it references).
    if (info === undefined) {
      throw new NotFoundError(`content ${contentId} not found`, {
        hint: 'the snapshot references data that is missing from the repository; `cairn snapshot verify` lists the affected files',
      });
    }
    const local = await this.pendingPayload(info);
    if (local !== undefined) return openPackedContent(local, info, this.encryptor);
    try {
      return openPackedContent(await readPackedPayload(this.store, info), info, this.encryptor);
    } catch (e) {
      // kopia maintenance may have moved the content to a new pack and deleted the old one
      if (!(e instanceof BlobNotFoundError) || !(await this.refreshAfterMiss())) throw this.packMissing(e, info);
      const again = this.contentInfo(contentId);
      if (again === undefined || again.packBlobId === info.packBlobId) throw this.packMissing(e, info);
      return openPackedContent(await readPackedPayload(this.store, again), again, this.encryptor);
    }
  }

  packReader(): PackContentsReader {
    return (this.packContents ??= PackContentsReader.forFormat(this.store, this.format));
  }

  /** Winning entries (committed merged with pending writes) in content ID order. */
  iterateContents(options: IterateContentsOptions = {}): Generator<ContentInfo> {
    const watermark = this.committed.index.deletionWatermarkSeconds;
    return mergeWithOverlay(
      this.committed.index.iterate({ prefix: options.prefix ?? '', includeDeleted: true }),
      [this.pending.entries(), ...[...this.session.writingPacks, ...this.openPacks.values()].map((p) => p.entries())],
      options.prefix ?? '',
      (i) => !i.deleted || (options.includeDeleted === true && i.timestampSeconds > watermark),
    );
  }

  /** A set of the live content IDs (committed and pending) to share with hashing workers. */
  contentIdSet(options: { readonly extraCapacity?: number; readonly unprefixedOnly?: boolean } = {}): ContentIdSet {
    const idx = this.committed.index;
    const overlay = [...this.pending.entries(), ...[...this.session.writingPacks, ...this.openPacks.values()].flatMap((p) => [...p.entries()])];
    const keySize = idx.segments.find((seg) => seg.entryCount > 0)?.keySize ?? 1 + this.hasher.size;
    const set = ContentIdSet.create(keySize, idx.size + overlay.length + (options.extraCapacity ?? 0));
    idx.forEachLiveKey((data, offset, length) => {
      if (options.unprefixedOnly !== true || data[offset] === 0) set.addKey(data, offset, length);
    });
    for (const i of overlay) {
      if (!i.deleted && (options.unprefixedOnly !== true || i.contentId.length % 2 === 0)) set.add(i.contentId);
    }
    return set;
  }

  /** The spec upload workers prepare file data from (content-preparer.ts); the keys never leave this layer's modules. */
  preparerSpec(options: { readonly compression: string | undefined }): ContentPreparerSpec {
    const cfg = this.format.config;
    return createPreparerSpec({
      hash: cfg.hash, hmacSecret: cfg.hmacSecret, encryption: cfg.encryption, masterKey: cfg.masterKey,
      compression: this.supportsContentCompression ? options.compression : undefined,
      existing: this.contentIdSet({ unprefixedOnly: true }),
    });
  }

  // ---- writing ----

  async writeContent(data: Uint8Array, options: WriteContentOptions): Promise<string> {
    const prefix = options.prefix;
    if (!isValidContentPrefix(prefix)) throw new InvalidContentIdError(prefix, 'prefix must be empty or one letter g..z', { code: 'USAGE' });
    await this.beforeWrite();
    // no await between this check and the append below: a flush cannot start in between
    while (this.flushing !== undefined) await this.flushing.catch(() => undefined);
    const hash = this.hasher.hash(data);
    const contentId = prefix + hash.toString('hex');
    const previous = this.previousWrite(contentId);
    if (previous === LIVE) {
      this.stats.dedupedContents++;
      this.stats.dedupedBytes += data.length;
      return contentId;
    }
    const prepared = prepareContentFromHash(data, hash, prefix, this.encryptor, this.compressorFor(options.compression));
    await this.append(prepared, previous);
    return contentId;
  }

  async addPreparedContent(content: PreparedContent): Promise<void> {
    validateContentId(content.contentId);
    await this.beforeWrite();
    // no await between this check and the append below: a flush cannot start in between
    while (this.flushing !== undefined) await this.flushing.catch(() => undefined);
    const previous = this.previousWrite(content.contentId);
    if (previous === LIVE) {
      this.stats.dedupedContents++;
      this.stats.dedupedBytes += content.originalLength;
      return;
    }
    if (content.compressionHeaderId !== 0 && !this.supportsContentCompression) {
      throw new UnsupportedError(`content ${content.contentId} is compressed but the repository uses index v1`, {
        hint: 'prepare contents without compression for index v1 repositories',
      });
    }
    await this.append(content, previous);
  }

  async deleteContent(contentId: string): Promise<void> {
    validateContentId(contentId);
    await this.beforeWrite();
    // no await between this check and the append below: a flush cannot start in between
    while (this.flushing !== undefined) await this.flushing.catch(() => undefined);
    const prefix = packPrefixForContentId(contentId);
    const open = this.openPacks.get(prefix);
    if (open?.get(contentId) !== undefined) {
      open.remove(contentId);
      if (this.contentInfo(contentId) === undefined) return;
    }
    const info = this.contentInfo(contentId);
    if (info === undefined) throw new NotFoundError(`content ${contentId} not found`, { hint: 'nothing to delete' });
    if (info.deleted) return;
    this.pending.add({ ...info, deleted: true, timestampSeconds: this.writeTime(info.timestampSeconds) });
  }

  /**
   * Maintenance: copies a content's stored bytes (checked by decrypting them first) into a new pack with a
   * newer index entry (kopia RewriteContent / UndeleteContent). Live contents are copied unless
   * `onlyDeleted`; with `onlyDeleted` only a deleted content is copied, and the copy is live. Deleted
   * contents are never copied without it. Returns whether a copy was made.
   */
  async rewriteContent(contentId: string, options: { readonly onlyDeleted?: boolean } = {}): Promise<boolean> {
    validateContentId(contentId);
    const info = this.contentInfo(contentId);
    if (info === undefined) throw new NotFoundError(`content ${contentId} not found`, { hint: 'nothing to rewrite' });
    if (info.deleted !== (options.onlyDeleted === true)) return false;
    const payload = (await this.pendingPayload(info)) ?? (await readPackedPayload(this.store, info).catch((e: unknown) => {
      throw this.packMissing(e, info);
    }));
    openPackedContent(payload, info, this.encryptor);
    await this.beforeWrite();
    // no await between this check and the append below: a flush cannot start in between
    while (this.flushing !== undefined) await this.flushing.catch(() => undefined);
    await this.append({ contentId, payload: Buffer.from(payload), originalLength: info.originalLength, compressionHeaderId: info.compressionHeaderId },
      info.timestampSeconds);
    return true;
  }

  /**
   * Uploads all pending packs, then writes one index blob for them (through `options.gate`, the run's
   * commit point), then ends the write session.
   */
  async flush(options: FlushOptions = {}): Promise<void> {
    const previous = this.flushing ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.doFlush(options));
    this.flushing = run;
    try {
      await run;
    } finally {
      if (this.flushing === run) this.flushing = undefined;
    }
  }

  /** Waits for uploads in flight. Does not commit: call flush() for that. */
  async close(): Promise<void> {
    await this.session.waitForUploads();
  }

  /**
   * Ends the manager (the repository's close): waits for uploads in flight and drops the packs still open —
   * a run that failed or was interrupted before its flush; a pack written to storage as it filled takes its
   * temp file with it.
   */
  async dispose(): Promise<void> {
    await this.session.waitForUploads();
    for (const [prefix, pack] of this.openPacks) {
      this.openPacks.delete(prefix);
      await pack.discard();
    }
  }

  /**
   * Finds the packs this client's interrupted sessions stored (their markers are still there) that no index
   * names, and indexes their contents with the next flush, so that they are reused instead of uploaded
   * again (interrupted-sessions.ts). Call before writing.
   */
  async resumeInterruptedSessions(options: { readonly maxAgeMs?: number } = {}): Promise<ResumeStats> {
    const found = await findInterruptedPacks(this.store, this.encryptor, () => {
      const packs = new Set<string>();
      for (const i of this.committed.index.iterate({ includeDeleted: true })) packs.add(i.packBlobId);
      return (id) => packs.has(id);
    }, { username: this.sessionUser, hostname: this.sessionHost, now: this.now(), ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}) });
    // Stamped now: to maintenance these contents are as young as this run's own until a snapshot uses them.
    for (const info of found.entries) this.pending.add({ ...info, timestampSeconds: this.writeTime(info.timestampSeconds) });
    if (found.packs > 0) this.logger?.debug({ sessions: found.sessions, packs: found.packs, bytes: found.bytes }, 'resumed interrupted sessions');
    return { sessions: found.sessions, packs: found.packs, bytes: found.bytes, contents: found.entries.length, skipped: found.skipped };
  }

  private async doFlush(options: FlushOptions): Promise<void> {
    if (this.autoFlushMs > 0) this.autoFlushAtMs = this.now().getTime() + this.autoFlushMs;
    for (const [prefix, pack] of this.openPacks) {
      this.openPacks.delete(prefix);
      this.session.seal(pack);
    }
    await this.session.waitForUploads();
    await this.session.retryFailed();
    // every pack is stored: their buffers (up to uploadParallelism + 1 of maxPackSize + 10 MiB) would
    // otherwise stay resident under the index blob built next, the peak of a backup of many small files
    this.packBuffers.drain();
    if (this.pending.size === 0) return;
    // A large index blob is built at the end of a backup, when what its walk held (listings, entries, the
    // garbage of a million files) has just died but not been collected: collected first, the blob takes its
    // place instead of adding to it (1,000,000 small files: peak RSS 468 -> 443 MiB).
    if (this.pending.size >= FULL_GC_BEFORE_INDEX_ENTRIES) collectAllGarbage();
    const data = buildIndex(this.pending, this.indexVersion);
    const sessionId = this.session.currentId();
    const write = (): ReturnType<IndexBlobManager['writeIndexBlobs']> => this.indexBlobs.writeIndexBlobs([data], sessionId);
    const written = options.gate === undefined ? await write() : await options.gate.pass(write);
    this.stats.indexBlobsWritten += written.length;
    this.logger?.debug({ indexBlobs: written.map((w) => w.id), entries: this.pending.size }, 'wrote index blob');
    await this.session.commit();
    for (const w of written) this.committed.addOwnIndexBlob(w.id, data);
    this.pending.clear();
  }

  // ---- internals ----

  private async beforeWrite(): Promise<void> {
    await this.session.retryFailed();
    await this.committed.maybeRefresh();
    if (this.now().getTime() >= this.autoFlushAtMs && this.flushing === undefined && this.hasUnflushedWrites()) await this.flush();
  }

  private hasUnflushedWrites(): boolean {
    return this.pending.size > 0 || this.openPacks.size > 0 || this.session.writingPacks.size > 0;
  }

  private async append(prepared: PreparedContent, previousTimestamp: number | undefined): Promise<void> {
    const prefix = packPrefixForContentId(prepared.contentId);
    let pack = this.openPacks.get(prefix);
    if (pack === undefined) {
      const sessionId = this.session.currentId();
      const packBlobId = newPackBlobId(prefix, sessionId);
      // Data packs go to storage as they fill where the store can take a blob in pieces (a filesystem);
      // metadata packs stay in memory: they are small, and the same run reads them back. A streamed pack is
      // on storage (as a temp file) long before it is stored: its session marker goes first, or maintenance
      // could take the file for a dead writer's.
      const sink = prefix === 'p'
        ? this.store.openWriter?.(packBlobId, { beforeFirstWrite: () => this.session.ensureMarker(sessionId) })
        : undefined;
      pack = new PackWriter({
        packBlobId,
        indexVersion: this.indexVersion,
        hasher: this.hasher,
        encryptor: this.encryptor,
        formatBlobReplica: this.formatBlobReplica,
        bufferPool: prefix === 'p' && sink === undefined ? this.packBuffers : undefined,
        sink,
      });
      this.openPacks.set(prefix, pack);
    }
    pack.append(prepared.contentId, prepared.payload, prepared.originalLength, prepared.compressionHeaderId,
      this.writeTime(previousTimestamp ?? -1), this.formatVersion);
    this.stats.writtenContents++;
    this.stats.writtenBytes += prepared.originalLength;
    if (pack.dataLength >= this.maxPackSize) {
      this.openPacks.delete(prefix);
      this.session.seal(pack);
      await this.session.waitForCapacity();
    } else if (pack.streaming) {
      // backpressure: a pack written as it fills holds what its writes have not caught up with
      await pack.drain();
    }
  }

  private packUploaded(pack: PackWriter, bytes: number): void {
    pack.addEntriesTo(this.pending);
    this.stats.uploadedPacks++;
    this.stats.uploadedBytes += bytes;
  }

  /**
   * LIVE when a live copy exists (nothing to write); otherwise the timestamp of a deleted entry, which
   * the new entry must exceed, or undefined. Allocation-free for committed contents.
   */
  private previousWrite(contentId: string): number | undefined {
    const o = this.overlayInfo(contentId);
    if (o !== undefined) return o.deleted ? o.timestampSeconds : LIVE;
    const idx = this.committed.index;
    if (idx.has(contentId)) return LIVE;
    return idx.get(contentId)?.timestampSeconds;
  }

  /** Entry from open packs, packs being uploaded, or uploaded-but-unindexed packs (kopia getOverlayContentInfoReadLocked). */
  private overlayInfo(contentId: string): ContentInfo | undefined {
    // nothing written yet (an unchanged backup asks once per file): no string-keyed lookups in empty maps
    if (!this.hasUnflushedWrites()) return undefined;
    const prefix = contentId.length % 2 === 1 ? 'q' : 'p';
    const open = this.openPacks.get(prefix)?.get(contentId);
    if (open !== undefined) return open;
    for (const p of this.session.writingPacks) {
      const i = p.get(contentId);
      if (i !== undefined) return i;
    }
    return this.pending.get(contentId);
  }

  private async pendingPayload(info: ContentInfo): Promise<Buffer | undefined> {
    const prefix = info.contentId.length % 2 === 1 ? 'q' : 'p';
    const open = this.openPacks.get(prefix);
    if (open?.packBlobId === info.packBlobId) return open.readPayload(info.contentId);
    for (const p of this.session.writingPacks) if (p.packBlobId === info.packBlobId) return p.readPayload(info.contentId);
    return undefined;
  }

  private compressorFor(name: string | undefined): Compressor | undefined {
    if (name === undefined || name === '' || name === 'none' || !this.supportsContentCompression) return undefined;
    return compressorByName(name);
  }

  /** max(now, previous + 1) in unix seconds (kopia contentWriteTime). */
  private writeTime(previousSeconds: number): number {
    const t = Math.floor(this.now().getTime() / 1000);
    return t > previousSeconds ? t : previousSeconds + 1;
  }

  /** Refreshes after a miss unless that happened very recently; true when it refreshed. */
  private async refreshAfterMiss(): Promise<boolean> {
    const nowMs = this.now().getTime();
    if (nowMs - this.lastMissRefreshMs < MISS_REFRESH_MIN_MS) return false;
    this.lastMissRefreshMs = nowMs;
    await this.committed.refresh();
    return true;
  }

  private packMissing(e: unknown, info: ContentInfo): unknown {
    if (!(e instanceof BlobNotFoundError)) return e;
    return new CorruptionError(`pack ${info.packBlobId} holding content ${info.contentId} is missing`, {
      cause: e,
      hint: 'the index points at a deleted pack (kopia maintenance may have removed it); `cairn snapshot verify` lists the affected files',
    });
  }
}
