// Layer: content. The local cache of a repository's immutable metadata blobs, as kopia keeps one for index
// blobs and metadata packs (repo/content/committed_read_manager.go, internal/cache; its integrity HMAC is
// keyed per repository, repo/open.go). Guarantees:
// - only blobs that are never rewritten under the same ID are cached: index blobs (`xn`/`xs`/`xr`, whose
//   names carry their content hash; legacy `n`) and metadata packs (`q`, random IDs, written once). Never
//   data packs, epoch markers, watermarks, session markers, logs or kopia.* format blobs;
// - a cached file is `data ‖ HMAC-SHA256(key, id ‖ 0 ‖ data)` under `<cacheDir>/<repositoryId>/blobs/<id>`,
//   the key derived from the repository's secrets: a truncated, flipped, renamed or other repository's file
//   fails verification, is deleted and the blob is fetched from storage — wrong data is never served;
// - files are written to a temporary name and renamed in the same directory, so processes sharing a cache
//   see whole files or none (a file vanishing mid-read is a miss);
// - the cache never fails a run: a directory that cannot be created or written turns the cache off with
//   one warning, and every storage error passes through unchanged.
// Size: one file per live index blob and metadata pack — the repository's metadata, not its data. A listing
// of an index prefix drops files of index blobs storage no longer has (compacted away); `q` files go when
// this client deletes the pack. Deleting the whole directory at any time is safe.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { access, constants, type FileHandle, mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { BlobMetadata, BlobStore, ByteRange, PutOptions, SweepTemporary } from '../blob/blob-store.ts';
import type { BlobWriter, BlobWriterOptions } from '../blob/blob-writer.ts';
import type { ContentLogger } from './write-session.ts';

/** HKDF purpose of the integrity key (kopia's localCacheIntegrityPurpose). */
export const CACHE_INTEGRITY_PURPOSE = 'local-cache-integrity';
export const CACHE_KEY_BYTES = 32;
const TAG_BYTES = 32;
/** Prefixes of blobs that are immutable once written and read again by every run. */
const CACHED_PREFIXES = ['q', 'xn', 'xs', 'xr', 'n'] as const;
/** Blob IDs become file names: only kopia's alphabet, so a hostile listing can never name a path. */
const SAFE_ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,199}$/;
const TEMP_PREFIX = '.tmp-';
/**
 * Cache files kept open for range reads. An unchanged backup reads every directory listing from a handful
 * of metadata packs; an open + stat + close per listing was most of the cache's cost.
 */
const OPEN_FILES = 16;
/**
 * Bytes of whole verified blobs kept in memory for range reads (least recently used dropped first; a blob
 * larger than this is never kept). A range read of a cache file is an open file's read through the thread
 * pool, ~65 us of the main thread's time each here against ~2 us for a copy: an unchanged backup of the shared
 * dataset reads its 216 directory listings as ranges of one 567 KB metadata pack, which this keeps whole
 * after its verification read it anyway. Large repositories' 20 MiB metadata packs stay on the file reads.
 */
const HELD_BYTES = 16 * 1024 * 1024;

/** A verified cache file kept open, with the range reads using it now (it is closed only when idle). */
interface OpenFile {
  readonly handle: Promise<FileHandle>;
  reads: number;
}

/** Whether `range` lies within a blob of `size` bytes. */
function rangeFits(range: ByteRange, size: number): boolean {
  return range.offset >= 0 && range.length >= 0 && range.offset + range.length <= size;
}

export function isCachedBlobId(id: string): boolean {
  return SAFE_ID.test(id) && CACHED_PREFIXES.some((p) => id.startsWith(p));
}

/** Whether a listing of `prefix` can contain cached blobs (the only listings worth pruning after). */
function mayListCached(prefix: string): boolean {
  return CACHED_PREFIXES.some((p) => prefix.startsWith(p) || p.startsWith(prefix));
}

export interface BlobCacheStats {
  /** Reads served from a verified cache file. */
  hits: number;
  /** Reads that fetched the whole blob from storage. */
  misses: number;
  /** Cache files that failed verification (and were replaced). */
  invalid: number;
  /** Cache files dropped because storage no longer lists their blob. */
  pruned: number;
}

export interface BlobCacheOptions {
  /** The cache root (`--cache-dir`); must be absolute. */
  readonly cacheDir: string;
  /** The repository's unique ID (hex): one subdirectory per repository. */
  readonly repositoryId: string;
  /** Integrity key derived from the repository's secrets (CACHE_INTEGRITY_PURPOSE). */
  readonly key: Buffer;
  readonly logger?: ContentLogger;
}

/**
 * A BlobStore wrapper caching immutable metadata blobs on local disk. Returns undefined (after one warning)
 * when the directory is unusable: the caller goes on with storage alone.
 */
export async function openBlobCache(store: BlobStore, options: BlobCacheOptions): Promise<BlobCache | undefined> {
  const { cacheDir, logger } = options;
  if (!isAbsolute(cacheDir)) {
    logger?.warn({ cacheDir }, `local cache directory "${cacheDir}" is not an absolute path; running without a cache (give an absolute path)`);
    return undefined;
  }
  const dir = join(cacheDir, options.repositoryId, 'blobs');
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.R_OK | constants.W_OK);
  } catch (e) {
    logger?.warn({ cacheDir }, `local cache directory ${cacheDir} cannot be used (${errorCode(e)}); running without a cache ` +
      '(make it a writable directory, or run without a cache directory)');
    return undefined;
  }
  return new BlobCache(store, dir, options.key, logger);
}

export class BlobCache implements BlobStore {
  readonly stats: BlobCacheStats = { hits: 0, misses: 0, invalid: 0, pruned: 0 };
  /** The repository's cache directory (`<cacheDir>/<repositoryId>/blobs`). */
  readonly dir: string;
  private readonly store: BlobStore;
  private readonly key: Buffer;
  private readonly logger: ContentLogger | undefined;
  /** One load (cache read, else fetch + write) per blob at a time: concurrent readers of a pack share it. */
  private readonly loading = new Map<string, Promise<Buffer>>();
  /**
   * Cache files this process verified (or wrote) whole: later range reads of them read just the range. A
   * metadata pack holds many directory listings, each read on its own; re-reading and re-hashing a 20 MiB
   * pack per listing would cost more than the download it saves. (Every content read from a range is still
   * authenticated by its own encryption.)
   */
  private readonly verified = new Map<string, number>();
  /** Verified files open for range reads, least recently used first. */
  private readonly openFiles = new Map<string, OpenFile>();
  /** Whole verified blobs read by range, least recently used first (HELD_BYTES in all). */
  private readonly held = new Map<string, Buffer>();
  private heldBytes = 0;
  private disabled = false;
  private warnedInvalid = false;

  /**
   * The store's writer, when it has one: for data packs, which are never cached (a cached kind of blob written
   * this way is simply not cached; a later read fetches it from storage).
   */
  readonly openWriter?: (id: string, options?: BlobWriterOptions) => BlobWriter;
  /** The store's sweep of stale temp files, when it has one (temp files are never cached). */
  readonly sweepTemporary?: SweepTemporary;

  constructor(store: BlobStore, dir: string, key: Buffer, logger?: ContentLogger) {
    if (store.openWriter !== undefined) this.openWriter = (id, options) => store.openWriter!(id, options);
    if (store.sweepTemporary !== undefined) this.sweepTemporary = (olderThan, liveWriters) => store.sweepTemporary!(olderThan, liveWriters);
    this.store = store;
    this.dir = dir;
    this.key = key;
    this.logger = logger;
  }

  get description(): string {
    return this.store.description;
  }

  async get(id: string, range?: ByteRange): Promise<Buffer> {
    if (this.disabled || !isCachedBlobId(id)) return this.store.get(id, range);
    const kept = range === undefined ? undefined : this.held.get(id);
    if (kept !== undefined && range !== undefined && rangeFits(range, kept.length)) {
      this.held.delete(id); // re-inserted: most recently used last
      this.held.set(id, kept);
      this.stats.hits++;
      return Buffer.from(kept.subarray(range.offset, range.offset + range.length));
    }
    const size = this.verified.get(id);
    if (range !== undefined && size !== undefined) {
      const part = await this.readRange(id, range, size);
      if (part !== undefined) {
        this.stats.hits++;
        return part;
      }
    }
    let load = this.loading.get(id);
    if (load === undefined) {
      load = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, load);
    }
    const data = await load;
    if (range === undefined) return Buffer.from(data);
    this.hold(id, data);
    if (!rangeFits(range, data.length)) {
      return this.store.get(id, range); // the store words the out-of-range error
    }
    return Buffer.from(data.subarray(range.offset, range.offset + range.length));
  }

  stat(id: string): Promise<BlobMetadata> {
    return this.store.stat(id);
  }

  /** Passes the listing through; a complete listing drops cache files of blobs storage no longer has. */
  async *list(prefix: string): AsyncIterable<BlobMetadata> {
    const seen = new Set<string>();
    for await (const m of this.store.list(prefix)) {
      seen.add(m.id);
      yield m;
    }
    if (!this.disabled && mayListCached(prefix)) await this.prune(prefix, seen);
  }

  /** Write-through: storage first (the commit), then the cache, so this run's own metadata is never downloaded. */
  async put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    await this.store.put(id, data, options);
    if (!this.disabled && isCachedBlobId(id) && await this.write(id, data)) this.verified.set(id, data.length);
  }

  async delete(id: string): Promise<void> {
    await this.store.delete(id);
    if (isCachedBlobId(id)) await this.remove(id);
  }

  async close(): Promise<void> {
    for (const id of [...this.openFiles.keys()]) this.closeFile(id);
    await this.store.close();
  }

  private async load(id: string): Promise<Buffer> {
    const cached = await this.readVerified(id);
    if (cached !== undefined) {
      this.stats.hits++;
      this.verified.set(id, cached.length);
      return cached;
    }
    this.stats.misses++;
    const data = await this.store.get(id);
    if (!this.disabled && await this.write(id, data)) this.verified.set(id, data.length);
    return data;
  }

  /**
   * The range from a verified cache file (`size`: its data's length, known from the verification);
   * undefined when the file is gone or shorter (then: a whole load). Ranges reaching into the tag are out
   * of range for the blob.
   */
  private async readRange(id: string, range: ByteRange, size: number): Promise<Buffer | undefined> {
    if (!rangeFits(range, size)) return undefined;
    const file = this.openFile(id);
    file.reads++;
    try {
      const out = Buffer.allocUnsafe(range.length);
      const { bytesRead } = await (await file.handle).read(out, 0, range.length, range.offset);
      if (bytesRead === range.length) return out;
    } catch {
      // removed by another process (pruned) or unreadable: load it whole again
    } finally {
      file.reads--;
    }
    this.closeFile(id);
    this.verified.delete(id);
    return undefined;
  }

  /** The open handle of a verified cache file, opened on first use; the least recently used idle one closes. */
  private openFile(id: string): OpenFile {
    let file = this.openFiles.get(id);
    if (file !== undefined) {
      this.openFiles.delete(id); // re-inserted below: most recently used last
    } else {
      const handle = open(join(this.dir, id), 'r');
      handle.catch(() => undefined); // a failed open is seen (and handled) by the read that awaits it
      file = { handle, reads: 0 };
      for (const [other, f] of this.openFiles) {
        if (this.openFiles.size < OPEN_FILES) break;
        if (f.reads === 0) this.closeFile(other);
      }
    }
    this.openFiles.set(id, file);
    return file;
  }

  private closeFile(id: string): void {
    const file = this.openFiles.get(id);
    if (file === undefined) return;
    this.openFiles.delete(id);
    void file.handle.then((h) => h.close()).catch(() => undefined);
  }

  private tag(id: string, data: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(id, 'utf8').update(Buffer.of(0)).update(data).digest();
  }

  private async readVerified(id: string): Promise<Buffer | undefined> {
    let file: Buffer;
    try {
      file = await readFile(join(this.dir, id));
    } catch {
      return undefined; // absent (or vanished mid-read): a miss
    }
    if (file.length >= TAG_BYTES) {
      const data = file.subarray(0, file.length - TAG_BYTES);
      if (timingSafeEqual(file.subarray(file.length - TAG_BYTES), this.tag(id, data))) return data;
    }
    this.stats.invalid++;
    if (!this.warnedInvalid) {
      this.warnedInvalid = true;
      this.logger?.warn({ cacheDir: this.dir, blob: id }, `local cache file ${join(this.dir, id)} failed verification; ` +
        'deleted it and read the blob from storage (a damaged or foreign cache file is never used)');
    }
    await this.remove(id);
    return undefined;
  }

  /** Whether the file is in place. */
  private async write(id: string, data: Uint8Array): Promise<boolean> {
    const temp = join(this.dir, `${TEMP_PREFIX}${id}-${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(temp, Buffer.concat([data, this.tag(id, data)]));
      await rename(temp, join(this.dir, id));
      return true;
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      this.disable(e);
      return false;
    }
  }

  /** Keeps a whole verified blob for the range reads that follow (a metadata pack's other listings). */
  private hold(id: string, data: Buffer): void {
    if (data.length > HELD_BYTES || this.held.has(id)) return;
    for (const [other, d] of this.held) {
      if (this.heldBytes + data.length <= HELD_BYTES) break;
      this.held.delete(other);
      this.heldBytes -= d.length;
    }
    this.held.set(id, data);
    this.heldBytes += data.length;
  }

  private async remove(id: string): Promise<void> {
    const kept = this.held.get(id);
    if (kept !== undefined) {
      this.held.delete(id);
      this.heldBytes -= kept.length;
    }
    this.verified.delete(id);
    this.closeFile(id);
    await unlink(join(this.dir, id)).catch(() => undefined); // already gone, or another process's: fine
  }

  private async prune(prefix: string, seen: ReadonlySet<string>): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith(prefix) && isCachedBlobId(name) && !seen.has(name) && !this.loading.has(name)) {
        await this.remove(name);
        this.stats.pruned++;
      }
    }
  }

  private disable(e: unknown): void {
    if (this.disabled) return;
    this.disabled = true;
    this.logger?.warn({ cacheDir: this.dir }, `local cache directory ${this.dir} cannot be written (${errorCode(e)}); ` +
      'continuing without a cache (make it writable and check free space, or run without a cache directory)');
  }
}

function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}
