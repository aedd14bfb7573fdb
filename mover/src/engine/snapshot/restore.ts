// Restore: brings a snapshot's tree back into a directory (kopia snapshot/restore/restore.go,
// local_fs_output.go, with Cairn's read planning).
//
// - Directory listings are walked in parallel; file objects are resolved to (offset, content) chunks
//   and collected into batches; each batch's contents are grouped by pack and read with few large
//   ranged GETs (restore-plan.ts), bounded by `parallel`; writer workers (restore-worker.ts) decrypt and
//   decompress each content once and write it to every file offset that uses it, with synchronous fs
//   calls (on small files one libuv round trip per call costs more than the call itself).
// - Files are written under a temporary name in their directory and renamed into place when complete,
//   so a file never appears half-written under its own name; with `overwrite` the rename replaces an
//   existing file atomically. Long zero runs are skipped (holes), so sparse files stay sparse.
// - Attributes: owner (only when running as root, or when asked), then mode — chown clears setuid/setgid —
//   then times; directories get theirs after their children, deepest first. Times have microsecond
//   precision (Node's fs API), the stored nanoseconds beyond that are lost.
// - Hard links: kopia stores each link as a separate file entry, so they restore as separate files with
//   identical content (as kopia itself does).
// - Extra files already in the target are left alone; a non-empty target needs `overwrite`.
import { lstat, mkdir, open, readdir, rm, symlink, unlink, chmod, chown, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { ContentInfo } from '../content/content-info.ts';
import { CairnError, CorruptionError, isCairnError, NotFoundError } from '../errors.ts';
import type { RepositoryReader } from '../repo/repository.ts';
import type { DirEntry } from './dir-entry.ts';
import { decodeDirManifest } from './dir-manifest.ts';
import type { DirManifest } from './dir-manifest.ts';
import {
  applySymlinkAttributes,
  fileAttributes,
  finishFile,
  moveIntoPlace,
  mtimeSeconds,
  targetError,
  writeSparse,
} from './restore-file-writer.ts';
import { isEncryptionAlgorithm } from '../crypto/encryptors.ts';
import { RestoreWorkerPool } from './restore-worker-pool.ts';
import type { FinishItem, TaskContent, TaskReply, TaskUse } from './restore-worker-protocol.ts';
import { RestoreLimiter } from './restore-limiter.ts';
import { planPackReads, resolveObjectLayout } from './restore-plan.ts';
import type { ObjectLayout, PackRange } from './restore-plan.ts';
import { openPackedContent } from '../content/pack-reader.ts';
import type { SnapshotManifest } from './snapshot-manifest.ts';

export interface RestoreProgress {
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  /** File bytes written (holes included). */
  readonly bytes: number;
}

export interface RestoreStats extends RestoreProgress {
  /** Snapshot-relative paths of entries of unknown type that were not restored. */
  readonly skipped: readonly string[];
}

export interface RestoreOptions {
  /** Allow a non-empty target; existing files are replaced. */
  readonly overwrite?: boolean;
  /** Snapshot-relative paths to restore (each with its subtree); empty = everything. */
  readonly paths?: readonly string[];
  /** Pack range reads in flight (default 8). */
  readonly parallel?: number;
  /** Writer worker threads that decode and write file data (default: cores, at most 4). */
  readonly writers?: number;
  /** Set owners from the snapshot (default: when running as root). */
  readonly restoreOwnership?: boolean;
  /** Called at most every 100 ms and once at the end. */
  readonly onProgress?: (progress: RestoreProgress) => void;
  readonly signal?: AbortSignal;
  /** Largest pack range per GET (default 8 MiB). */
  readonly maxRangeBytes?: number;
  /** Gap between needed contents read through instead of splitting the GET (default 64 KiB). */
  readonly maxGapBytes?: number;
}

const BATCH_BYTES = 64 * 1024 * 1024;
const BATCH_FILES = 4096;
const MAX_BATCHES_IN_FLIGHT = 2;
const FILE_OPS = 64;
const EMPTY_FILES_PER_TASK = 256;
const LISTING_READS = 8;
const PROGRESS_INTERVAL_MS = 100;

interface FileJob {
  readonly id: number;
  readonly entry: DirEntry;
  readonly path: string;
  readonly rel: string;
  readonly tmp: string;
  readonly layout: ObjectLayout;
  remaining: number;
  written: number;
}

interface DirToFinish {
  readonly path: string;
  readonly entry: DirEntry;
  readonly depth: number;
}

interface ContentUse {
  readonly info: ContentInfo;
  readonly uses: { readonly job: FileJob; readonly offset: number }[];
}

function checkName(name: string, dirObject: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new CorruptionError(`directory object ${dirObject}: unsafe entry name ${JSON.stringify(name)}`, {
      hint: 'The directory metadata is damaged or hostile; nothing outside the target was written.',
    });
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

function normalizeSubPath(p: string): string[] {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) {
    throw new CairnError('USAGE', `restore path ${JSON.stringify(p)} contains ".."`, {
      hint: 'Give paths relative to the snapshot root, for example data/db.',
    });
  }
  return parts;
}

/** Normalized sub-paths without those inside another one (["a", "a/b"] -> [["a"]]). */
function minimalSubPaths(paths: readonly string[]): string[][] {
  const parts = paths.map(normalizeSubPath).sort((a, b) => a.length - b.length);
  const out: string[][] = [];
  for (const p of parts) {
    if (!out.some((q) => q.every((s, i) => p[i] === s))) out.push(p);
  }
  return out;
}

class Restorer {
  private readonly repo: RepositoryReader;
  private readonly overwrite: boolean;
  private readonly ownership: boolean;
  private readonly options: RestoreOptions;
  private readonly readLimiter: RestoreLimiter;
  private readonly fileLimiter = new RestoreLimiter(FILE_OPS);
  private readonly listLimiter = new RestoreLimiter(LISTING_READS);
  private readonly listings = new Map<string, Promise<DirManifest>>();
  private readonly dirs: DirToFinish[] = [];
  private readonly dirsSeen = new Set<string>();
  private readonly tmpFiles = new Set<string>();
  private readonly tmpPrefix = `.cairn-${randomBytes(4).toString('hex')}-`;
  private tmpCounter = 0;
  private batch: FileJob[] = [];
  private batchBytes = 0;
  private readonly batches = new Set<Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;
  private lastProgress = 0;
  private files = 0;
  private dirCount = 0;
  private symlinks = 0;
  private bytes = 0;
  private readonly skipped: string[] = [];
  private readonly jobs = new Map<number, FileJob>();
  private nextJob = 0;
  private empty: FinishItem[] = [];
  private pool: RestoreWorkerPool | undefined;
  private readonly decodeInWorkers: boolean;

  constructor(repo: RepositoryReader, options: RestoreOptions) {
    this.repo = repo;
    this.options = options;
    this.overwrite = options.overwrite === true;
    this.ownership = options.restoreOwnership ?? process.getuid?.() === 0;
    this.readLimiter = new RestoreLimiter(options.parallel ?? 8);
    const cfg = repo.format.config;
    this.decodeInWorkers = cfg.ecc === '' && isEncryptionAlgorithm(cfg.encryption) && repo.encryptor.name === cfg.encryption;
  }

  async run(root: DirEntry, target: string): Promise<RestoreStats> {
    try {
      await this.prepareTarget(root, target);
      const cfg = this.repo.format.config;
      this.pool = new RestoreWorkerPool(this.options.writers ?? Math.min(4, availableParallelism()), {
        decode: this.decodeInWorkers ? { encryption: cfg.encryption, masterKey: cfg.masterKey } : undefined,
        ownership: this.ownership,
        overwrite: this.overwrite,
      });
      const paths = this.options.paths ?? [];
      if (root.type === 'd') {
        this.addDir(target, root, 0);
        const subPaths = minimalSubPaths(paths);
        if (subPaths.length === 0 || subPaths.some((p) => p.length === 0)) await this.walkDir(root, target, '', 0);
        else for (const p of subPaths) await this.restorePath(root, target, p);
      } else if (paths.length > 0) {
        throw new CairnError('USAGE', 'restore paths need a snapshot whose root is a directory', {
          hint: 'Restore the whole snapshot, without --path.',
        });
      } else {
        await this.restoreChild(root, target, root.name, 0);
      }
      await this.flushBatch();
      this.flushEmpty();
      await this.drain();
      this.check();
      await this.finishDirs();
    } catch (e) {
      this.fail(e);
      await this.drain().catch(() => undefined);
      await this.cleanup();
      throw this.failure;
    } finally {
      await this.pool?.close();
    }
    this.report(true);
    return { files: this.files, dirs: this.dirCount, symlinks: this.symlinks, bytes: this.bytes, skipped: this.skipped };
  }

  private fail(e: unknown): void {
    this.failure ??= e;
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.options.signal?.aborted === true) {
      this.fail(new CairnError('INTERRUPTED', 'restore interrupted', { hint: 'Run the restore again; completed files are kept.' }));
      throw this.failure;
    }
  }

  private report(final = false): void {
    const cb = this.options.onProgress;
    if (cb === undefined) return;
    const now = Date.now();
    if (!final && now - this.lastProgress < PROGRESS_INTERVAL_MS) return;
    this.lastProgress = now;
    cb({ files: this.files, dirs: this.dirCount, symlinks: this.symlinks, bytes: this.bytes });
  }

  private track(p: Promise<void>): void {
    const t = p.catch((e: unknown) => this.fail(e)).finally(() => this.pending.delete(t));
    this.pending.add(t);
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 || this.batches.size > 0) {
      await Promise.allSettled([...this.pending, ...this.batches]);
    }
  }

  private async cleanup(): Promise<void> {
    await Promise.allSettled([...this.tmpFiles].map((f) => unlink(f)));
  }

  private tmpName(dir: string): string {
    return join(dir, `${this.tmpPrefix}${(this.tmpCounter++).toString(36)}.tmp`);
  }

  private async prepareTarget(root: DirEntry, target: string): Promise<void> {
    let st;
    try {
      st = await lstat(target);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw targetError(target, 'inspect', e);
      try {
        await mkdir(root.type === 'd' ? target : dirname(target), { recursive: true });
      } catch (e2) {
        throw targetError(target, 'create', e2);
      }
      return;
    }
    const hint = 'Restore into an empty or new directory, or pass --overwrite to replace existing files.';
    if (root.type !== 'd') {
      if (!this.overwrite) throw new CairnError('TARGET_NOT_EMPTY', `restore target ${target} already exists`, { hint });
      return;
    }
    if (!st.isDirectory()) {
      throw new CairnError('TARGET_ERROR', `restore target ${target} exists and is not a directory`, {
        hint: 'Choose a directory as the restore target.',
      });
    }
    let names: string[];
    try {
      names = await readdir(target);
    } catch (e) {
      throw targetError(target, 'list', e);
    }
    if (names.length > 0 && !this.overwrite) {
      throw new CairnError('TARGET_NOT_EMPTY', `restore target ${target} is not empty (${names.length} entries)`, { hint });
    }
  }

  private readListing(objectId: string): Promise<DirManifest> {
    let p = this.listings.get(objectId);
    if (p === undefined) {
      p = this.listLimiter.run(async () => decodeDirManifest(await (await this.repo.objects.openObject(objectId)).readAll(), objectId));
      // Only the path lookups reuse listings; the walk reads each directory once.
      this.listings.set(objectId, p);
    }
    return p;
  }

  private addDir(path: string, entry: DirEntry, depth: number): void {
    if (this.dirsSeen.has(path)) return;
    this.dirsSeen.add(path);
    this.dirs.push({ path, entry, depth });
  }

  private async makeDir(path: string): Promise<void> {
    try {
      await mkdir(path, { mode: 0o700 });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw targetError(path, 'create directory', e);
      const st = await lstat(path).catch((e2: unknown) => {
        throw targetError(path, 'inspect', e2);
      });
      if (st.isDirectory()) return;
      if (!this.overwrite) throw targetError(path, 'create directory', e);
      try {
        await rm(path, { force: true });
        await mkdir(path, { mode: 0o700 });
      } catch (e2) {
        throw targetError(path, 'replace with a directory', e2);
      }
    }
    this.dirCount++;
  }

  private async restorePath(root: DirEntry, target: string, parts: readonly string[]): Promise<void> {
    const subPath = parts.join('/');
    let dir = root;
    let abs = target;
    let rel = '';
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      const listing = await this.readListing(dir.obj);
      const child = listing.entries.find((e) => e.name === name);
      rel = rel === '' ? name : `${rel}/${name}`;
      if (child === undefined) {
        throw new NotFoundError(`restore path "${subPath}": "${rel}" is not in the snapshot`, {
          hint: 'List the snapshot contents and give a path relative to its root.',
        });
      }
      abs = join(abs, name);
      if (i === parts.length - 1) {
        if (this.dirsSeen.has(abs)) return; // already restored by an earlier path
        await this.restoreChild(child, abs, rel, i + 1);
        return;
      }
      if (child.type !== 'd') {
        throw new NotFoundError(`restore path "${subPath}": "${rel}" is not a directory`, {
          hint: 'List the snapshot contents and give a path relative to its root.',
        });
      }
      if (!this.dirsSeen.has(abs)) {
        await this.makeDir(abs);
        this.addDir(abs, child, i + 1);
      }
      dir = child;
    }
  }

  private async restoreChild(entry: DirEntry, path: string, rel: string, depth: number): Promise<void> {
    switch (entry.type) {
      case 'd':
        await this.makeDir(path);
        this.addDir(path, entry, depth);
        await this.walkDir(entry, path, rel, depth);
        return;
      case 'f':
        await this.addFile(entry, path, rel);
        return;
      case 's':
        await this.makeSymlink(entry, path, rel);
        return;
      default:
        this.skipped.push(rel);
    }
  }

  private async walkDir(entry: DirEntry, path: string, rel: string, depth: number): Promise<void> {
    this.check();
    const listing = await this.listLimiter.run(async () =>
      decodeDirManifest(await (await this.repo.objects.openObject(entry.obj)).readAll(), entry.obj),
    );
    const subdirs: Promise<void>[] = [];
    for (const child of listing.entries) {
      this.check();
      checkName(child.name, entry.obj);
      const cPath = join(path, child.name);
      const cRel = rel === '' ? child.name : `${rel}/${child.name}`;
      if (child.type === 'd') {
        await this.makeDir(cPath);
        this.addDir(cPath, child, depth + 1);
        subdirs.push(this.walkDir(child, cPath, cRel, depth + 1));
      } else {
        await this.restoreChild(child, cPath, cRel, depth + 1);
      }
    }
    await settleAll(subdirs);
  }

  private async makeSymlink(entry: DirEntry, path: string, rel: string): Promise<void> {
    const p = this.fileLimiter.run(async () => {
      const linkTarget = await (await this.repo.objects.openObject(entry.obj)).readAll();
      try {
        try {
          await symlink(linkTarget, path);
        } catch (e) {
          if (errno(e) !== 'EEXIST' || !this.overwrite) throw e;
          const tmp = this.tmpName(dirname(path));
          await symlink(linkTarget, tmp);
          this.tmpFiles.add(tmp);
          await moveIntoPlace(tmp, path, true);
          this.tmpFiles.delete(tmp);
        }
        await applySymlinkAttributes(path, entry, this.ownership);
      } catch (e) {
        throw isCairnError(e) ? e : targetError(path, `create symlink (${rel})`, e);
      }
      this.symlinks++;
      this.report();
    });
    this.track(p);
  }

  private async addFile(entry: DirEntry, path: string, rel: string): Promise<void> {
    const layout = await resolveObjectLayout(this.repo, entry.obj, `file ${rel}`);
    const tmp = this.tmpName(dirname(path));
    if (layout === undefined) {
      this.track(this.fileLimiter.run(() => this.writeThroughObject(entry, path, tmp)));
      return;
    }
    const job: FileJob = { id: this.nextJob++, entry, path, rel, tmp, layout, remaining: layout.chunks.length, written: 0 };
    if (layout.chunks.length === 0) {
      this.jobs.set(job.id, job);
      this.empty.push(this.finishItem(job, true));
      if (this.empty.length >= EMPTY_FILES_PER_TASK) this.flushEmpty();
      return;
    }
    this.batch.push(job);
    this.batchBytes += layout.length;
    if (this.batchBytes >= BATCH_BYTES || this.batch.length >= BATCH_FILES) await this.flushBatch();
  }

  private finishItem(job: FileJob, create: boolean): FinishItem {
    this.tmpFiles.add(job.tmp);
    return { file: job.id, tmp: job.tmp, path: job.path, length: job.layout.length, written: job.written, attrs: fileAttributes(job.entry), create };
  }

  private flushEmpty(): void {
    const items = this.empty;
    this.empty = [];
    if (items.length > 0) this.track(this.runTask(items, this.pool!.run({ type: 'finish', items })));
  }

  /** Applies a worker's reply: counters, multi-chunk bookkeeping, and errors with file names. */
  private async runTask(items: readonly FinishItem[] | readonly TaskUse[], reply: Promise<TaskReply>): Promise<void> {
    const r = await reply;
    this.files += r.filesDone;
    this.bytes += r.bytesWritten;
    if (r.failure !== undefined) {
      const job = r.failure.file === undefined ? undefined : this.jobs.get(r.failure.file);
      if (r.failure.kind === 'target') {
        throw new CairnError('TARGET_ERROR', r.failure.message, { hint: 'Check that the restore target is writable and has free space.' });
      }
      const what = job === undefined ? '' : `file ${job.rel}: `;
      if (r.failure.code === 'UNSUPPORTED') {
        throw new CairnError('UNSUPPORTED', `${what}${r.failure.message}`, { hint: 'Restore this snapshot with the kopia CLI.' });
      }
      throw new CorruptionError(`${what}${r.failure.message}`, { hint: 'The pack is damaged; run `cairn snapshot verify` to list the affected files.' });
    }
    for (const it of items) {
      const whole = 'whole' in it ? it.whole !== undefined : true;
      if (whole) {
        this.tmpFiles.delete(it.tmp);
        this.jobs.delete(it.file);
      }
    }
    for (const { file, end } of r.ends) {
      const job = this.jobs.get(file)!;
      job.written = Math.max(job.written, end);
      if (--job.remaining === 0) {
        const item = this.finishItem(job, false);
        this.track(this.runTask([item], this.pool!.run({ type: 'finish', items: [item] })));
      }
    }
    this.report();
  }

  private async flushBatch(): Promise<void> {
    const jobs = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (jobs.length === 0) return;
    while (this.batches.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(this.batches);
    this.check();
    const b = this.runBatch(jobs)
      .catch((e: unknown) => this.fail(e))
      .finally(() => this.batches.delete(b));
    this.batches.add(b);
  }

  private async runBatch(jobs: readonly FileJob[]): Promise<void> {
    const uses = new Map<string, ContentUse>();
    for (const job of jobs) {
      this.jobs.set(job.id, job);
      for (const c of job.layout.chunks) {
        let u = uses.get(c.contentId);
        if (u === undefined) {
          const info = this.repo.contents.contentInfo(c.contentId);
          if (info === undefined) {
            throw new NotFoundError(`file ${job.rel}: content ${c.contentId} is not in the repository index`, {
              hint: 'The repository is missing data this snapshot needs; run `cairn snapshot verify` to list the affected files.',
            });
          }
          if (info.originalLength !== c.length) {
            throw new CorruptionError(`file ${job.rel}: content ${c.contentId} has ${info.originalLength} bytes, the object says ${c.length}`, {
              hint: 'The repository index and the object disagree; run `cairn snapshot verify`.',
            });
          }
          uses.set(c.contentId, (u = { info, uses: [] }));
        }
        u.uses.push({ job, offset: c.offset });
      }
    }
    const ranges = planPackReads(
      [...uses.values()].map((u) => u.info),
      { maxRangeBytes: this.options.maxRangeBytes ?? 8 * 1024 * 1024, maxGapBytes: this.options.maxGapBytes ?? 64 * 1024 },
    );
    await settleAll(ranges.map((r) => this.readLimiter.run(() => this.readRange(r, uses))));
  }

  private async readRange(r: PackRange, uses: ReadonlyMap<string, ContentUse>): Promise<void> {
    this.check();
    let buf: Buffer;
    try {
      buf = await this.repo.blobs.get(r.packBlobId, { offset: r.offset, length: r.length });
    } catch (e) {
      if (isCairnError(e) && e.code === 'NOT_FOUND') {
        const files = [...new Set(r.contents.flatMap((c) => uses.get(c.contentId)!.uses.map((u) => u.job.rel)))];
        const named = files.slice(0, 5).join(', ') + (files.length > 5 ? ` and ${files.length - 5} more` : '');
        throw new NotFoundError(`pack ${r.packBlobId} is missing (needed by ${named}): ${e.message}`, {
          cause: e,
          hint: 'The repository is missing data; run `cairn snapshot verify` to list the affected files.',
        });
      }
      throw e;
    }
    this.check();
    const contents: TaskContent[] = [];
    const allUses: TaskUse[] = [];
    const taskUses = (info: ContentInfo): TaskUse[] =>
      uses.get(info.contentId)!.uses.map(({ job, offset }) => {
        const single = job.layout.chunks.length === 1;
        this.tmpFiles.add(job.tmp);
        const t: TaskUse = {
          file: job.id,
          offset,
          tmp: job.tmp,
          whole: single ? { path: job.path, length: job.layout.length, attrs: fileAttributes(job.entry) } : undefined,
        };
        allUses.push(t);
        return t;
      });
    let data: Buffer;
    if (this.decodeInWorkers) {
      for (const info of r.contents) {
        contents.push({
          start: info.packOffset - r.offset,
          length: info.packedLength,
          info: {
            contentId: info.contentId,
            packBlobId: info.packBlobId,
            packOffset: info.packOffset,
            packedLength: info.packedLength,
            originalLength: info.originalLength,
            compressionHeaderId: info.compressionHeaderId,
            encryptionKeyId: info.encryptionKeyId,
          },
          uses: taskUses(info),
        });
      }
      data = buf;
    } else {
      const plains: Buffer[] = [];
      let pos = 0;
      for (const info of r.contents) {
        const start = info.packOffset - r.offset;
        let plain: Buffer;
        try {
          plain = openPackedContent(buf.subarray(start, start + info.packedLength), info, this.repo.encryptor);
        } catch (e) {
          const rel = uses.get(info.contentId)!.uses[0]!.job.rel;
          if (isCairnError(e)) throw new CairnError(e.code, `file ${rel}: ${e.message}`, { cause: e, hint: e.hint ?? '' });
          throw e;
        }
        contents.push({ start: pos, length: plain.length, uses: taskUses(info) });
        plains.push(plain);
        pos += plain.length;
      }
      data = Buffer.concat(plains);
    }
    // Hand the bytes to the worker without copying when the buffer owns its memory.
    let ab: ArrayBuffer;
    if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) ab = data.buffer;
    else {
      const copy = new Uint8Array(data.byteLength);
      copy.set(data);
      ab = copy.buffer;
    }
    await this.runTask(allUses, this.pool!.run({ type: 'write', data: ab, dataOffset: 0, dataLength: data.byteLength, contents }, [ab]));
  }

  /** Legacy objects ("Z" IDs): streamed through the object layer. */
  private async writeThroughObject(entry: DirEntry, path: string, tmp: string): Promise<void> {
    const reader = await this.repo.objects.openObject(entry.obj);
    try {
      const fh = await open(tmp, 'wx', 0o600);
      this.tmpFiles.add(tmp);
      try {
        let pos = 0;
        let end = 0;
        for await (const buf of reader.stream()) {
          end = await writeSparse(fh, buf, pos);
          pos += buf.length;
          this.bytes += buf.length;
        }
        await finishFile(fh, pos, end, fileAttributes(entry), this.ownership);
      } finally {
        await fh.close();
      }
      await moveIntoPlace(tmp, path, this.overwrite);
      this.tmpFiles.delete(tmp);
    } catch (e) {
      throw isCairnError(e) ? e : targetError(path, 'write', e);
    }
    this.files++;
    this.report();
  }

  private async finishDirs(): Promise<void> {
    const byDepth = new Map<number, DirToFinish[]>();
    for (const d of this.dirs) {
      let list = byDepth.get(d.depth);
      if (list === undefined) byDepth.set(d.depth, (list = []));
      list.push(d);
    }
    const depths = [...byDepth.keys()].sort((a, b) => b - a);
    for (const depth of depths) {
      await settleAll(
        byDepth.get(depth)!.map((d) =>
          this.fileLimiter.run(async () => {
            try {
              if (this.ownership) await chown(d.path, d.entry.uid, d.entry.gid);
              await chmod(d.path, d.entry.mode);
              const t = mtimeSeconds(d.entry.mtime);
              await utimes(d.path, t, t);
            } catch (e) {
              throw targetError(d.path, 'set attributes of', e);
            }
          }),
        ),
      );
    }
  }
}

/** Restores the tree of `root` (a directory, file or symlink entry) into `target`. */
export async function restoreEntry(
  repo: RepositoryReader,
  root: DirEntry,
  target: string,
  options: RestoreOptions = {},
): Promise<RestoreStats> {
  return new Restorer(repo, options).run(root, target);
}

/** Restores a snapshot into `target` (a new or empty directory unless `overwrite`). */
export async function restoreSnapshot(
  repo: RepositoryReader,
  snapshot: SnapshotManifest,
  target: string,
  options: RestoreOptions = {},
): Promise<RestoreStats> {
  if (snapshot.rootEntry === undefined) {
    throw new NotFoundError(`snapshot ${snapshot.id} has no root entry`, {
      hint: 'The snapshot is empty or damaged; choose another snapshot.',
    });
  }
  return restoreEntry(repo, snapshot.rootEntry, target, options);
}
