// The file half of restore (restore.ts): resolves each file object to chunks (object-layout.ts), collects
// files into batches, groups a batch's contents by pack into large ranged GETs (the content layer's pack
// reader) and hands each range to a writer worker (restore-worker.ts) that decodes the contents once and
// writes them to every file offset that uses them. Multi-chunk files are finished (truncate, owner, mode,
// times, rename) when their last chunk lands; empty files are created in batches; legacy "Z" objects stream
// through the object layer.
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { ContentInfo } from '../content/content-info.ts';
import type { PackContentsReader, PackRange } from '../content/pack-contents-reader.ts';
import { CairnError, CorruptionError, isCairnError } from '../errors.ts';
import { resolveObjectLayout, type ObjectLayout } from '../object/object-layout.ts';
import type { RepositoryReader } from '../repo/repository.ts';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { fromErrorRecord } from '../util/error-record.ts';
import { fileAttributes, finishFile, moveIntoPlace, targetError, writeSparse } from './restore-file-writer.ts';
import { Semaphore } from '../util/semaphore.ts';
import type { RestoreOptions } from './restore-options.ts';
import type { FsPath } from './restore-target.ts';
import type { AnyPath } from '../snapshot/fs-path.ts';
import { RangeSlots } from './range-slots.ts';
import { RestoreWorkerPool } from './restore-worker-pool.ts';
import { planRestoreResources, type RestoreResources } from './restore-resources.ts';
import type { FinishItem, TaskContent, TaskReply, TaskUse } from './restore-worker-protocol.ts';

const BATCH_BYTES = 64 * 1024 * 1024;
const BATCH_FILES = 4096;
const MAX_BATCHES_IN_FLIGHT = 2;
const EMPTY_FILES_PER_TASK = 256;

export interface RestoreCounters {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
}

/** What the pipeline shares with the restore that owns it. */
export interface RestoreContext {
  readonly repo: RepositoryReader;
  readonly options: RestoreOptions;
  readonly overwrite: boolean;
  readonly ownership: boolean;
  /** Temp files that exist and are not yet renamed (removed on failure). */
  readonly tmpFiles: Set<AnyPath>;
  readonly counters: RestoreCounters;
  readonly fileLimiter: Semaphore;
  /** Throws the first failure (or INTERRUPTED) so work stops early. */
  check(): void;
  fail(e: unknown): void;
  /** Runs background work whose failure fails the restore. */
  track(p: Promise<void>): void;
  report(): void;
  tmpName(dir: FsPath): FsPath;
}

interface FileJob {
  readonly id: number;
  readonly entry: DirEntry;
  readonly path: FsPath;
  readonly rel: string;
  readonly tmp: FsPath;
  readonly layout: ObjectLayout;
  remaining: number;
  written: number;
}

interface ContentUse {
  readonly info: ContentInfo;
  readonly uses: { readonly job: FileJob; readonly offset: number }[];
}

async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

export class RestoreFilePipeline {
  private readonly ctx: RestoreContext;
  private readonly defaults: RestoreResources;
  private readonly readLimiter: Semaphore;
  private readonly packs: PackContentsReader;
  private readonly decodeInWorkers: boolean;
  private readonly pool: RestoreWorkerPool;
  private readonly slots: RangeSlots;
  private readonly maxRangeBytes: number;
  private readonly jobs = new Map<number, FileJob>();
  private nextJob = 0;
  private empty: FinishItem[] = [];
  private batch: FileJob[] = [];
  private batchBytes = 0;
  private readonly batches = new Set<Promise<void>>();

  constructor(ctx: RestoreContext) {
    this.ctx = ctx;
    // without options (library callers, tests): the plan for throughput, the same one the CLI starts from
    this.defaults = planRestoreResources({ cores: availableParallelism() });
    const parallel = ctx.options.parallel ?? this.defaults.parallel;
    this.readLimiter = new Semaphore(parallel);
    this.maxRangeBytes = ctx.options.maxRangeBytes ?? this.defaults.maxRangeBytes;
    this.packs = ctx.repo.contents.packReader();
    this.decodeInWorkers = this.packs.workerSpec !== undefined;
    // one slot per range read at once (readRange holds its read permit until the worker has replied)
    this.slots = new RangeSlots(this.decodeInWorkers ? parallel : 0, this.decodeInWorkers ? this.maxRangeBytes : 0);
    // threads the caller started while the repository opened, when they were started for this restore's settings
    const given = ctx.options.workers;
    this.pool = given !== undefined && given.settings.ownership === ctx.ownership && given.settings.overwrite === ctx.overwrite
      ? given
      : new RestoreWorkerPool(ctx.options.writers ?? this.defaults.writers, { ownership: ctx.ownership, overwrite: ctx.overwrite }, ctx.options.workersStarting);
    this.pool.setup({ decoder: this.packs.workerSpec, slots: this.decodeInWorkers ? this.slots.buffers : undefined });
  }

  /** Sends the files collected so far (call once the walk is done). */
  async flush(): Promise<void> {
    await this.flushBatch();
    this.flushEmpty();
  }

  /** Batches still running (their failures reach the context, not this promise). */
  get running(): readonly Promise<void>[] {
    return [...this.batches];
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** Queues file `path` (in directory `dir`, verified by the caller; see restore-target.ts). */
  async addFile(entry: DirEntry, dir: FsPath, path: FsPath, rel: string): Promise<void> {
    const layout = await resolveObjectLayout(this.ctx.repo.contents, entry.obj, `file ${rel}`);
    const tmp = this.ctx.tmpName(dir);
    if (layout === undefined) {
      this.ctx.track(this.ctx.fileLimiter.run(() => this.writeThroughObject(entry, path, tmp)));
      return;
    }
    const job: FileJob = { id: this.nextJob++, entry, path, rel, tmp, layout, remaining: layout.chunks.length, written: 0 };
    if (layout.chunks.length === 0) {
      this.jobs.set(job.id, job);
      this.empty.push(this.finishItem(job, true));
      if (this.empty.length >= EMPTY_FILES_PER_TASK) this.flushEmpty();
      return;
    }
    // A full batch waits for room (flushBatch); every walker adding a file waits with it, so the walk is never
    // more than one batch ahead of the reads.
    while (this.batchFull()) await this.flushBatch();
    this.batch.push(job);
    this.batchBytes += layout.length;
    if (this.batchFull()) await this.flushBatch();
  }

  private batchFull(): boolean {
    return this.batchBytes >= BATCH_BYTES || this.batch.length >= BATCH_FILES;
  }

  private finishItem(job: FileJob, create: boolean): FinishItem {
    this.ctx.tmpFiles.add(job.tmp);
    return { file: job.id, tmp: job.tmp, path: job.path, length: job.layout.length, written: job.written, attrs: fileAttributes(job.entry), create };
  }

  private flushEmpty(): void {
    const items = this.empty;
    this.empty = [];
    if (items.length > 0) this.ctx.track(this.runTask(items, this.pool.run({ type: 'finish', items })));
  }

  /** Applies a worker's reply: counters, multi-chunk bookkeeping, and errors with file names. */
  private async runTask(items: readonly FinishItem[] | readonly TaskUse[], reply: Promise<TaskReply>): Promise<void> {
    const r = await reply;
    this.ctx.counters.files += r.filesDone;
    this.ctx.counters.bytes += r.bytesWritten;
    if (r.failure !== undefined) {
      // The worker's typed error, rebuilt as is; a content that failed to decode gets its file named.
      const job = r.failure.file === undefined ? undefined : this.jobs.get(r.failure.file);
      throw fromErrorRecord(r.failure.error, job === undefined ? '' : `file ${job.rel}: `);
    }
    for (const it of items) {
      const whole = 'whole' in it ? it.whole !== undefined : true;
      if (whole) {
        this.ctx.tmpFiles.delete(it.tmp);
        this.jobs.delete(it.file);
      }
    }
    for (const { file, end } of r.ends) {
      const job = this.jobs.get(file)!;
      job.written = Math.max(job.written, end);
      if (--job.remaining === 0) {
        const item = this.finishItem(job, false);
        this.ctx.track(this.runTask([item], this.pool.run({ type: 'finish', items: [item] })));
      }
    }
    this.ctx.report();
  }

  /** Sends the batch being collected once fewer than MAX_BATCHES_IN_FLIGHT run. */
  private async flushBatch(): Promise<void> {
    while (this.batches.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(this.batches);
    this.ctx.check();
    const jobs = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (jobs.length === 0) return;
    const b = this.runBatch(jobs)
      .catch((e: unknown) => this.ctx.fail(e))
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
          const info = this.ctx.repo.contents.contentInfo(c.contentId);
          if (info === undefined) {
            throw new CorruptionError(`file ${job.rel}: content ${c.contentId} is not in the repository index`, {
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
    const ranges = this.packs.plan(
      [...uses.values()].map((u) => u.info),
      { maxRangeBytes: this.maxRangeBytes, maxGapBytes: this.ctx.options.maxGapBytes ?? 64 * 1024 },
    );
    await settleAll(ranges.map((r) => this.readLimiter.run(() => this.readRange(r, uses))));
  }

  private async readRange(r: PackRange, uses: ReadonlyMap<string, ContentUse>): Promise<void> {
    this.ctx.check();
    // a content larger than a slot has a range of its own, read into memory of its own
    const slot = this.decodeInWorkers && r.length <= this.slots.slotBytes ? await this.slots.acquire() : undefined;
    try {
      await this.readRangeInto(r, uses, slot);
    } finally {
      if (slot !== undefined) this.slots.release(slot);
    }
  }

  private async readRangeInto(r: PackRange, uses: ReadonlyMap<string, ContentUse>, slot: number | undefined): Promise<void> {
    let buf: Buffer;
    try {
      buf = await this.packs.fetch(r, slot === undefined ? undefined : this.slots.view(slot));
    } catch (e) {
      if (isCairnError(e) && e.code === 'NOT_FOUND') {
        const files = [...new Set(r.contents.flatMap((c) => uses.get(c.contentId)!.uses.map((u) => u.job.rel)))];
        const named = files.slice(0, 5).join(', ') + (files.length > 5 ? ` and ${files.length - 5} more` : '');
        throw new CorruptionError(`pack ${r.packBlobId} is missing (needed by ${named}): ${e.message}`, {
          cause: e,
          hint: 'The repository is missing data; run `cairn snapshot verify` to list the affected files.',
        });
      }
      throw e;
    }
    this.ctx.check();
    const contents: TaskContent[] = [];
    const allUses: TaskUse[] = [];
    const taskUses = (info: ContentInfo): TaskUse[] =>
      uses.get(info.contentId)!.uses.map(({ job, offset }) => {
        const single = job.layout.chunks.length === 1;
        this.ctx.tmpFiles.add(job.tmp);
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
      for (const info of r.contents) contents.push({ start: 0, length: 0, uses: taskUses(info) });
      data = buf;
    } else {
      const plains: Buffer[] = [];
      let pos = 0;
      for (const res of this.packs.decode(r, buf)) {
        if (res.error !== undefined) {
          const e = res.error;
          const rel = uses.get(res.info.contentId)!.uses[0]!.job.rel;
          throw new CairnError(e.code, `file ${rel}: ${e.message}`, { cause: e, retryable: e.retryable, ...(e.hint !== undefined ? { hint: e.hint } : {}) });
        }
        contents.push({ start: pos, length: res.data.length, uses: taskUses(res.info) });
        plains.push(res.data);
        pos += res.data.length;
      }
      data = Buffer.concat(plains);
    }
    if (slot !== undefined && this.slots.holds(slot, data)) {
      const task = { type: 'write' as const, slot, dataOffset: data.byteOffset, dataLength: data.byteLength, range: r, contents };
      await this.runTask(allUses, this.pool.run(task));
      return;
    }
    // Hand the bytes to the worker without copying when the buffer owns its memory.
    let ab: ArrayBuffer;
    if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) ab = data.buffer;
    else {
      const copy = new Uint8Array(data.byteLength);
      copy.set(data);
      ab = copy.buffer;
    }
    const task = { type: 'write' as const, data: ab, dataOffset: 0, dataLength: data.byteLength, range: this.decodeInWorkers ? r : undefined, contents };
    await this.runTask(allUses, this.pool.run(task, [ab]));
  }

  /** Legacy objects ("Z" IDs): streamed through the object layer. */
  private async writeThroughObject(entry: DirEntry, path: FsPath, tmp: FsPath): Promise<void> {
    const reader = await this.ctx.repo.objects.openObject(entry.obj);
    try {
      const fh = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
      this.ctx.tmpFiles.add(tmp);
      try {
        let pos = 0;
        let end = 0;
        for await (const buf of reader.stream()) {
          end = await writeSparse(fh, buf, pos);
          pos += buf.length;
          this.ctx.counters.bytes += buf.length;
        }
        await finishFile(fh, pos, end, fileAttributes(entry), this.ctx.ownership);
      } finally {
        await fh.close();
      }
      await moveIntoPlace(tmp, path, this.ctx.overwrite);
      this.ctx.tmpFiles.delete(tmp);
    } catch (e) {
      throw isCairnError(e) ? e : targetError(path, 'write', e);
    }
    this.ctx.counters.files++;
    this.ctx.report();
  }

}
