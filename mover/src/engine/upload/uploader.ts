// Backup of one source directory into a snapshot (kopia snapshot/upload semantics, Cairn's pipeline):
// walk with parallel lstat -> reuse entries of unchanged files from the previous snapshot (size, mtime,
// mode; nothing read) -> changed files go to the hashing pool in batches (large files as independently
// chunked 16 MiB segments (upload-resources.ts SEGMENT_BYTES) so both cores work on one big file) -> directory listings bottom-up -> snapshot
// manifest -> flush. The flush writes packs, then ONE index blob (the commit point); a crash before it
// leaves earlier snapshots untouched and only unreferenced packs behind, which the next run of the same
// client reuses (content/interrupted-sessions.ts). An abort (signal) at any moment before the commit point
// commits nothing: the walk and the hashing stop at once and the commit gate refuses the index write.
import { availableParallelism } from 'node:os';
import { createSplitter, DEFAULT_SPLITTER } from '../object/splitter-factory.ts';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CairnError } from '../errors.ts';
import type { RepositoryWriter } from '../repo/repository.ts';
import { mtimeFromNs, type DirEntry, type DirectorySummary } from '../snapshot/dir-entry.ts';
import { encodeDirManifest, summarizeDirectory } from '../snapshot/dir-manifest.ts';
import { entriesFromChunks } from '../object/indirect-object.ts';
import { directContentIdOf, tryParseObjectId } from '../object/object-id.ts';
import type { SnapshotManifest, SnapshotStats } from '../snapshot/snapshot-manifest.ts';
import { listSnapshots, saveSnapshot } from '../snapshot/snapshot-manager.ts';
import type { SourceInfo } from '../snapshot/source-info.ts';
import { HashingPool } from './hashing-pool.ts';
import { PAYLOAD_SLOT_BYTES, planUploadResources, SEGMENT_BYTES, type UploadResources } from './upload-resources.ts';
import { UploadBatcher } from './upload-batcher.ts';
import { newUploadProgress, type UploadProgress } from './upload-progress.ts';
import { type DirectoryListing, readSourceDirectory, type SourceEntry } from './directory-reader.ts';
import { SiblingListings } from './sibling-listings.ts';
import { entryStat, type EntryStat } from './entry-stat.ts';
import { childPath } from '../snapshot/fs-path.ts';
import { ElasticSemaphore } from '../util/elastic-semaphore.ts';
import { Semaphore } from '../util/semaphore.ts';
import type { WorkersStarting } from '../util/worker-ready.ts';
import { forEachBounded } from '../util/for-each-bounded.ts';
import { CommitGate } from '../util/commit-gate.ts';
import { PreviousDirectory } from './previous-directory.ts';
import type { SegmentResult } from './upload-protocol.ts';
import type { DirectoryIgnoreMatcher, IgnoreScope } from '../policy/ignore-rules.ts';
import { unchangedListing } from './unchanged-listing.ts';
import type { ListingReadAhead } from './listing-read-ahead.ts';

/** Entries of one directory in progress at once (files also wait for the tree-wide file slots). */
const ENTRIES_AT_ONCE = 128;
/**
 * A directory whose subdirectories are small leaves (sibling-listings.ts) walks up to
 * UploadResources.subdirsWhenSmall of them at once while the directories in progress list fewer entries than this.
 */
const SMALL_WALK_ENTRIES = 2048;
/** entryWithoutIo(): the entry needs reading (a directory, a symlink, a file to hash). */
const NEEDS_IO = Symbol('needs I/O');

export interface UploadOptions {
  readonly sourcePath: string;
  readonly source: SourceInfo;
  /** Kopia compressor name for file data; undefined stores file data uncompressed. */
  readonly compression?: string | undefined;
  readonly metadataCompression?: string;
  readonly splitter?: string;
  readonly workers?: number;
  /** Workers, backlog, files in flight (upload-resources.ts); default: planned for throughput on this machine's cores. */
  readonly resources?: UploadResources;
  /** Told when the hashing workers start and when they have loaded (util/worker-ready.ts). */
  readonly workersStarting?: WorkersStarting;
  /** Exclusion rules and per-directory ignore files (policy/ignore-rules.ts createIgnoreMatcher). */
  readonly ignore?: IgnoreScope | undefined;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** undefined: the newest complete snapshot of the same source; null: none (full re-read). */
  readonly previous?: SnapshotManifest | null;
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
  /** The run's commit gate (default: one on `signal`); the CLI shares it to know when a commit is in flight. */
  readonly commitGate?: CommitGate;
  /** Reuse what this client's interrupted runs uploaded (default true). */
  readonly resume?: boolean;
  /** Listings of `sourcePath`'s first directories, read while the repository opened (listing-read-ahead.ts). */
  readonly readAhead?: ListingReadAhead;
  /**
   * Whether to go on with `readAhead` once the previous snapshot's root summary is known (default: yes); the
   * CLI passes worthReadingAhead, which stops the thread of a first backup.
   */
  readonly keepReadAhead?: (previous: DirectorySummary | undefined) => boolean;
}

export interface UploadFailure {
  readonly path: string;
  readonly errno: string;
  readonly message: string;
}

export interface UploadResult {
  readonly snapshotId: string;
  readonly manifest: SnapshotManifest;
  readonly failures: readonly UploadFailure[];
  readonly progress: UploadProgress;
}


/** Entries of one directory that failed, for its summary (kopia DirManifestBuilder.AddFailedEntry). */
type FailedEntries = { path: string; error: string; ignored: boolean }[];

export class Uploader {
  readonly progress: UploadProgress = newUploadProgress();
  readonly failures: UploadFailure[] = [];
  private readonly repo: RepositoryWriter;
  private readonly options: UploadOptions;
  private readonly fsLimit = new Semaphore(32);
  private readonly resources: UploadResources;
  /** Files and symlinks in progress across the tree (memory grows with this, not with the tree). */
  private readonly fileSlots: Semaphore;
  private readonly pool: HashingPool;
  private readonly batcher: UploadBatcher;
  private excludedSize = 0;
  private excludedFiles = 0;
  private excludedDirs = 0;
  /** Directories the walk entered, readable or not (kopia's stats count an unreadable one too). */
  private dirsEntered = 0;
  /** Entries listed by the directories being processed (their listings are the walk's memory). */
  private entriesHeld = 0;
  private emptyObject: Promise<string> | undefined;
  /** The empty file's object ID once stored: later empty files need no write at all. */
  private emptyObjectId: string | undefined;
  /** Listings read ahead on their own thread (the caller's, until keepReadAhead says otherwise). */
  private readAhead: ListingReadAhead | undefined;

  constructor(repo: RepositoryWriter, options: UploadOptions) {
    this.repo = repo;
    this.options = options;
    this.readAhead = options.readAhead;
    const splitter = options.splitter ?? DEFAULT_SPLITTER;
    const plan = options.resources ?? planUploadResources({
      cores: availableParallelism(), workers: options.workers, maxChunkBytes: createSplitter(splitter).maxSize,
    });
    const workers = options.workers ?? plan.workers;
    this.resources = plan;
    this.fileSlots = new Semaphore(plan.filesInFlight);
    this.pool = new HashingPool({
      workers,
      depthPerWorker: plan.jobsPerWorker,
      workersStarting: options.workersStarting,
      config: () => ({
        preparer: repo.contents.preparerSpec({ compression: options.compression }),
        splitter, readBufferSize: plan.readBytes, payloadCapacity: PAYLOAD_SLOT_BYTES, payloadSlots: plan.payloadSlots,
      }),
    });
    this.batcher = new UploadBatcher(this.pool, repo.contents, this.progress, {
      // a job holds at most one large-file segment (many small files, or one segment of a large one)
      maxJobBytes: SEGMENT_BYTES, maxJobSegments: 256,
      // results not yet packed count too (their last payload slot waits with them)
      maxJobsInFlight: workers * (plan.jobsPerWorker + plan.resultsWaiting),
    });
  }

  async run(): Promise<UploadResult> {
    const now = this.options.now ?? (() => new Date());
    const startTime = this.readAhead === undefined ? now() : new Date(Math.min(now().getTime(), this.readAhead.startedAt.getTime()));
    const gate = this.options.commitGate ?? new CommitGate(this.options.signal);
    try {
      if (this.options.resume !== false) {
        const resumed = await gate.race(this.repo.contents.resumeInterruptedSessions());
        this.progress.resumedPacks = resumed?.packs ?? 0;
        this.progress.resumedBytes = resumed?.bytes ?? 0;
      }
      const previous = this.options.previous === undefined
        ? (await listSnapshots(this.repo.manifests, this.options.source)).filter((m) => m.incomplete === '').at(-1)
        : this.options.previous ?? undefined;
      if (this.readAhead !== undefined && this.options.keepReadAhead?.(previous?.rootEntry?.summ) === false) {
        this.readAhead.discard(); // its isolate goes before the walk's peak; the walk lists for itself
        this.readAhead = undefined;
      }
      let rootStat: EntryStat;
      try {
        rootStat = entryStat(await lstat(this.options.sourcePath, { bigint: true }));
      } catch (e) {
        throw new CairnError('SOURCE_ERROR', `cannot read source ${this.options.sourcePath}: ${(e as Error).message}`,
          { hint: 'check the path exists and is readable by this user', cause: e });
      }
      if (rootStat.kind !== 'd') {
        throw new CairnError('SOURCE_ERROR', `source ${this.options.sourcePath} is not a directory`, { hint: 'pass a directory to snapshot' });
      }
      const prevRoot = previous?.rootEntry === undefined ? undefined : PreviousDirectory.forEntry(this.repo, previous.rootEntry);
      let scope: DirectoryIgnoreMatcher | undefined;
      try {
        scope = this.options.ignore?.forDirectory('', await this.readIgnoreFiles(this.options.sourcePath));
      } catch (e) {
        const err = e instanceof IgnoreFileError ? e : undefined;
        throw new CairnError('SOURCE_ERROR', `cannot read ${join(this.options.sourcePath, err?.fileName ?? '')}: ${(err?.cause as NodeJS.ErrnoException | undefined)?.code ?? (e as Error).message}`,
          { hint: 'make the ignore file readable, or remove it; without its rules the files it excludes would be backed up', cause: e });
      }
      const root = await gate.race(this.processDirectory(this.options.sourcePath, '', basename(this.options.sourcePath) || '/', rootStat, prevRoot, scope, []));
      if (root === undefined) {
        throw new CairnError('SOURCE_ERROR', `cannot read source directory ${this.options.sourcePath}`, { hint: 'check permissions' });
      }
      await gate.race(this.batcher.drain());
      // every file is hashed: the workers' isolates, windows and compressors go before the commit builds
      // the index blob (with many small files, the peak of the run)
      await this.pool.close();
      const endTime = now();
      const manifest: SnapshotManifest = {
        id: '',
        source: this.options.source,
        description: this.options.description ?? '',
        startTime: mtimeFromNs(BigInt(startTime.getTime()) * 1_000_000n),
        endTime: mtimeFromNs(BigInt(endTime.getTime()) * 1_000_000n),
        stats: this.stats(root),
        incomplete: '',
        rootEntry: root,
        tags: this.options.tags ?? {},
        pins: [],
      };
      gate.check();
      const snapshotId = await saveSnapshot(this.repo.manifests, manifest);
      // The commit point: refused by the gate if the run was aborted meanwhile (after the uploads finished).
      await this.repo.flush({ gate });
      return { snapshotId, manifest: { ...manifest, id: snapshotId }, failures: this.failures, progress: this.progress };
    } finally {
      this.readAhead?.discard();
      await this.pool.close();
    }
  }

  private stats(root: DirEntry): SnapshotStats {
    const t = root.summ;
    return {
      totalSize: t?.size ?? 0, excludedTotalSize: this.excludedSize, fileCount: t?.files ?? 0,
      cachedFiles: this.progress.cachedFiles, nonCachedFiles: this.progress.hashedFiles, dirCount: this.dirsEntered,
      excludedFileCount: this.excludedFiles, excludedDirCount: this.excludedDirs,
      ignoredErrorCount: 0, errorCount: this.failures.length,
    };
  }

  /** Records a failed entry of a directory: in the run's failures and in that directory's summary. */
  private fail(path: string, errno: string, message: string, failed: FailedEntries): void {
    this.failures.push({ path, errno, message });
    this.progress.errors++;
    failed.push({ path, error: message, ignored: false });
  }

  /**
   * The texts of the directory's ignore files (undefined for each it does not have). One that exists but
   * cannot be read is an error, not "no rules": the files it excludes must not be backed up silently (kopia
   * fails the directory too).
   */
  private async readIgnoreFiles(dir: string | Buffer, listing?: DirectoryListing): Promise<(string | undefined)[]> {
    return Promise.all((this.options.ignore?.ignoreFileNames ?? []).map(async (name) => {
      // a name the directory's listing lacks is not opened: a failed open per directory (and the error
      // object Node builds for it) was a visible part of an unchanged backup
      if (listing !== undefined && !listing.entries.some((e) => e.name === name)) return undefined;
      try {
        return await this.fsLimit.run(() => readFile(childPath(dir, { text: name, bytes: Buffer.from(name) }), 'utf8'));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
        throw new IgnoreFileError(name, e);
      }
    }));
  }

  /**
   * The directory's entry (its listing stored, its summary kopia's), or undefined when it cannot be read:
   * then it is a failed entry of its parent (`parentFailed`), as kopia counts it.
   */
  private async processDirectory(abs: string | Buffer, rel: string, name: string, stat: EntryStat,
    previous: PreviousDirectory | undefined, scope: DirectoryIgnoreMatcher | undefined, parentFailed: FailedEntries,
    parentScope?: DirectoryIgnoreMatcher, siblings?: SiblingListings,
  ): Promise<DirEntry | undefined> {
    this.options.signal?.throwIfAborted();
    const failed: FailedEntries = [];
    this.dirsEntered++;
    // the previous listing is fetched (libuv's threads) while this one is read (synchronous lstat calls)
    const prevLoading = previous?.entries();
    let listing;
    try {
      listing = await (this.readAhead?.take(abs) ?? readSourceDirectory(abs, this.fsLimit));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.fail(rel || '.', err.code ?? 'EIO', err.message, parentFailed);
      return undefined;
    }
    if (parentScope !== undefined) {
      // a subdirectory's rules: its parent's, plus its own ignore files (read after its listing shows them)
      try {
        scope = parentScope.forDirectory(rel, await this.readIgnoreFiles(abs, listing));
      } catch (e) {
        // skipped whole (partial snapshot), never backed up without the rules its ignore file holds
        const err = (e instanceof IgnoreFileError ? e.cause : e) as NodeJS.ErrnoException;
        this.fail(rel, err.code ?? 'EIO', `cannot read its ${e instanceof IgnoreFileError ? e.fileName : 'ignore file'}: ${err.message}`, parentFailed);
        return undefined;
      }
    }
    this.progress.dirs++;
    for (const f of listing.failures) this.fail(join(rel, f.name), f.errno, f.message, failed);
    siblings?.record(listing);
    // entries listed by the directories in progress: while they are few, more subdirectories may run at once
    this.entriesHeld += listing.entries.length;
    try {
      return await this.finishDirectory(rel, name, stat, previous, scope, listing, prevLoading, failed);
    } finally {
      this.entriesHeld -= listing.entries.length;
    }
  }

  /** The rest of processDirectory once its listing is read: entries, summary, the stored listing. */
  private async finishDirectory(rel: string, name: string, stat: EntryStat,
    previous: PreviousDirectory | undefined, scope: DirectoryIgnoreMatcher | undefined, listing: DirectoryListing,
    prevLoading: Promise<ReadonlyMap<string, DirEntry> | undefined> | undefined, failed: FailedEntries,
  ): Promise<DirEntry> {
    const prevEntries = await prevLoading;
    const { subdirsPerDirectory, subdirsWhenSmall = subdirsPerDirectory } = this.resources;
    const children = new SiblingListings();
    const subdirs = new ElasticSemaphore(subdirsPerDirectory, subdirsWhenSmall,
      () => children.allSmallLeaves && this.entriesHeld < SMALL_WALK_ENTRIES);
    // Entries decided without I/O (excluded, unchanged or empty files, other types) are done in one
    // synchronous pass: no promise or async frame per file, the bulk of an unchanged backup. The rest run a
    // bounded number at a time per directory: state per entry (closures, promises) stays proportional to
    // this, not to the directory's size (its listing is the only part that grows).
    const results: (DirEntry | undefined)[] = new Array(listing.entries.length);
    const slow: number[] = [];
    for (let i = 0; i < listing.entries.length; i++) {
      const r = this.entryWithoutIo(listing.entries[i]!, prevEntries, scope);
      if (r === NEEDS_IO) slow.push(i);
      else results[i] = r;
    }
    await forEachBounded(slow, ENTRIES_AT_ONCE, async (i) => {
      const se = listing.entries[i]!;
      const prev = prevEntries?.get(se.name);
      const childRel = rel === '' ? se.name : `${rel}/${se.name}`;
      results[i] = await this.entryWithIo(se, childRel, prev, scope, { slots: subdirs, listings: children }, failed);
    });
    const entries = results.filter((r) => r !== undefined);
    // kopia's summary, but maxTime also counts the directory itself, for kopia restore (SummarizeOptions)
    const summary = summarizeDirectory(entries, { dirMtime: mtimeFromNs(stat.mtimeNs), failed, maxTimeIncludesDirMtime: true });
    let obj: string;
    if (previous !== undefined && prevEntries !== undefined && unchangedListing(entries, summary, prevEntries, previous.summary) &&
        this.isLive(previous.objectId)) {
      // Same entries and summary as last time: the listing would encode to the same bytes, so reuse it
      // without encoding, hashing and looking it up again.
      obj = previous.objectId;
    } else {
      const writer = this.repo.objects.newWriter({ prefix: 'k', compression: this.options.metadataCompression ?? 'zstd-fastest', description: `DIR:${rel}` });
      await writer.write(encodeDirManifest(entries, summary));
      obj = await writer.result();
    }
    return { ...this.baseEntry(name, 'd', stat), obj, summ: summary };
  }

  /**
   * An entry's result when it needs no I/O: undefined for one excluded or of a type kopia skips, the entry
   * of a file unchanged since the previous snapshot, or of an empty file; NEEDS_IO otherwise.
   */
  private entryWithoutIo(se: SourceEntry, prevEntries: ReadonlyMap<string, DirEntry> | undefined,
    scope: DirectoryIgnoreMatcher | undefined): DirEntry | undefined | typeof NEEDS_IO {
    const kind = se.stat.kind;
    if (scope?.ignores(se.name, kind === 'd') === true) {
      if (kind === 'd') {
        this.excludedDirs++;
        this.readAhead?.skip(se.path); // what the read-ahead listed below it is dropped
      } else { this.excludedFiles++; this.excludedSize += se.stat.size; }
      this.progress.excluded++;
      return undefined;
    }
    // sockets, FIFOs, devices: kopia skips unknown types without counting them (not even as excluded)
    if (kind === 'other') return undefined;
    if (kind !== 'f') return NEEDS_IO;
    const cached = this.unchangedFile(se, prevEntries?.get(se.name));
    if (cached !== undefined) return cached;
    if (se.stat.size === 0 && this.emptyObjectId !== undefined) {
      this.countFile(se.stat.size);
      this.progress.hashedFiles++;
      return { ...this.baseEntry(se.name, 'f', se.stat), obj: this.emptyObjectId };
    }
    return NEEDS_IO;
  }

  /** An entry that needs I/O: a directory (walked), a symlink (read), a changed file (hashed). */
  private async entryWithIo(se: SourceEntry, childRel: string, prev: DirEntry | undefined, scope: DirectoryIgnoreMatcher | undefined,
    subdirs: { slots: ElasticSemaphore; listings: SiblingListings }, failed: FailedEntries): Promise<DirEntry | undefined> {
    if (se.stat.kind === 'd') {
      const prevDir = prev !== undefined && prev.type === 'd' ? PreviousDirectory.forEntry(this.repo, prev) : undefined;
      return subdirs.slots.run(() => this.processDirectory(se.path, childRel, se.name, se.stat, prevDir, undefined, failed, scope, subdirs.listings));
    }
    if (se.stat.kind === 's') return this.fileSlots.run(() => this.processSymlink(se, childRel, failed));
    if (se.stat.kind === 'f') return this.fileSlots.run(() => this.processFile(se, childRel, failed));
    return undefined; // other types never get here (entryWithoutIo)
  }

  private baseEntry(name: string, type: 'f' | 'd' | 's', stat: EntryStat): DirEntry {
    return {
      name, type, mode: stat.mode, size: type === 'd' ? 0 : stat.size, // a symlink's: its target's length, as kopia records it
      mtime: mtimeFromNs(stat.mtimeNs), uid: stat.uid, gid: stat.gid, obj: '',
    };
  }

  private async processSymlink(se: SourceEntry, rel: string, failed: FailedEntries): Promise<DirEntry | undefined> {
    let target: Buffer;
    try {
      target = await this.fsLimit.run(() => readlink(se.path, { encoding: 'buffer' }));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.fail(rel, err.code ?? 'EIO', err.message, failed);
      return undefined;
    }
    const writer = this.repo.objects.newWriter({ prefix: '' });
    await writer.write(target);
    const obj = await writer.result();
    return { ...this.baseEntry(se.name, 's', se.stat), obj };
  }

  private countFile(size: number): void {
    this.progress.files++;
    this.progress.bytesTotal += size;
  }

  /**
   * The entry of a file unchanged since the previous snapshot (same size, mtime and mode, its object still
   * live: kopia's rule), counted as cached; undefined when it must be read.
   */
  private unchangedFile(se: SourceEntry, prev: DirEntry | undefined): DirEntry | undefined {
    const st = se.stat;
    if (prev === undefined || prev.type !== 'f' || prev.size !== st.size || prev.mode !== st.mode) return undefined;
    const mtime = mtimeFromNs(st.mtimeNs);
    if (prev.mtime !== mtime || !this.isLive(prev.obj)) return undefined;
    this.countFile(st.size);
    this.progress.cachedFiles++;
    this.progress.cachedBytes += st.size;
    // the previous listing's entry itself when nothing differs: the directory's new listing then shares
    // its objects with the previous one instead of holding a copy of each
    if (prev.uid === st.uid && prev.gid === st.gid && prev.name === se.name && prev.summ === undefined) return prev;
    return { ...this.baseEntry(se.name, 'f', st), obj: prev.obj };
  }

  /** A file that is new or changed (entryWithoutIo found no cached entry): hashed and stored. */
  private async processFile(se: SourceEntry, rel: string, failed: FailedEntries): Promise<DirEntry | undefined> {
    const size = se.stat.size;
    this.countFile(size);
    const base = this.baseEntry(se.name, 'f', se.stat);
    this.progress.hashedFiles++;
    if (size === 0) {
      this.emptyObject ??= this.repo.contents.writeContent(new Uint8Array(0), { prefix: '' }).then((id) => (this.emptyObjectId = id));
      return { ...base, obj: await this.emptyObject };
    }
    const key = this.batcher.newFileKey();
    const segments: Promise<SegmentResult>[] = [];
    const expect = { size: BigInt(se.stat.size), mtimeNs: se.stat.mtimeNs, ino: se.stat.ino };
    const path = se.path; // built on demand (directory-reader.ts): once per file, not once per segment
    for (let off = 0; off < size; off += SEGMENT_BYTES) {
      segments.push(this.batcher.add({ fileKey: key, path, offset: off, length: Math.min(SEGMENT_BYTES, size - off), expect }));
    }
    const results = await Promise.all(segments);
    const failedSegment = results.find((r) => r.error !== undefined);
    if (failedSegment?.error !== undefined) {
      this.fail(rel, failedSegment.error.errno, failedSegment.error.message, failed);
      return undefined;
    }
    const chunks = results.flatMap((r) => r.chunks);
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    let obj: string;
    if (chunks.length === 1) obj = chunks[0]!.contentId;
    else obj = await this.repo.objects.writeIndirect(entriesFromChunks(chunks.map((c) => ({ length: c.length, objectId: c.contentId }))), { prefix: '' });
    // A file that grew, shrank or was replaced while we read it is recorded with the bytes actually stored
    // (its size then matches the object), keeps the mtime the walk saw (so the next backup, seeing another
    // size or mtime, reads it again) and is counted.
    if (results.some((r) => r.changed === true)) this.progress.changedWhileRead++;
    return bytes === size ? { ...base, obj } : { ...base, size: bytes, obj };
  }

  /** A reused object must still be in the index (maintenance may have removed expired data). */
  private isLive(objectId: string): boolean {
    // a malformed ID in an old listing is not found (or not parsed): not reusable, the data is read again
    const contentId = directContentIdOf(objectId) ?? tryParseObjectId(objectId)?.contentId;
    return contentId !== undefined && this.repo.contents.hasContent(contentId);
  }
}

/** An ignore file that exists but cannot be read; carries its name for the message. */
class IgnoreFileError extends Error {
  readonly fileName: string;
  constructor(fileName: string, cause: unknown) {
    super(`cannot read ${fileName}`, { cause });
    this.fileName = fileName;
  }
}
