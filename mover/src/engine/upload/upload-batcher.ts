// Groups file segments into worker jobs (many small files per job, one job per large-file segment), and
// applies job results on the main thread: new payloads go to the content writer (which packs and uploads
// them), chunk lists go back to the file that asked.
import type { ContentWriter } from '../content/content-store.ts';
import type { HashingPool, PoolPart, PoolResult } from './hashing-pool.ts';
import type { UploadProgress } from './upload-progress.ts';
import type { ChunkRecord, SegmentJob, SegmentResult } from './upload-protocol.ts';

export interface BatcherLimits {
  /** A job is submitted once its segments add up to this many bytes… */
  readonly maxJobBytes: number;
  /** …or hold this many segments. A segment that would take a job past maxJobBytes starts the next one. */
  readonly maxJobSegments: number;
  /** Jobs submitted but not yet applied (their payloads are held until packed); add() waits beyond this. */
  readonly maxJobsInFlight: number;
}

/** What the parts of one job left for its result (parts are applied before it, in arrival order). */
interface PartsOfJob {
  failure: { readonly error: unknown } | undefined;
}

interface Waiting {
  readonly segment: SegmentJob;
  readonly resolve: (r: SegmentResult) => void;
  readonly reject: (e: unknown) => void;
}

export class UploadBatcher {
  private readonly pool: HashingPool;
  private readonly contents: ContentWriter;
  private readonly progress: UploadProgress;
  private readonly limits: BatcherLimits;
  private batch: Waiting[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  private nextKey = 1;
  /** Serializes result application so packs fill in submission order. */
  private applying: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(pool: HashingPool, contents: ContentWriter, progress: UploadProgress, limits: BatcherLimits) {
    this.pool = pool;
    this.contents = contents;
    this.progress = progress;
    this.limits = limits;
  }

  newFileKey(): number {
    return this.nextKey++;
  }

  /** Queues a segment; resolves with its chunks once the worker result has been stored. */
  async add(segment: SegmentJob): Promise<SegmentResult> {
    await this.pool.waitForCapacity();
    while (this.inFlight.size >= this.limits.maxJobsInFlight) await Promise.race(this.inFlight).catch(() => undefined);
    return new Promise<SegmentResult>((resolve, reject) => {
      if (this.batch.length > 0 && this.batchBytes + segment.length > this.limits.maxJobBytes) this.submitBatch();
      this.batch.push({ segment, resolve, reject });
      this.batchBytes += segment.length;
      if (this.batchBytes >= this.limits.maxJobBytes || this.batch.length >= this.limits.maxJobSegments) {
        this.submitBatch();
      } else if (!this.flushScheduled) {
        // Let the walk add its sibling files in this turn of the event loop, then send what we have.
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.submitBatch();
        });
      }
    });
  }

  /** Waits until every submitted job has been applied. */
  async drain(): Promise<void> {
    this.submitBatch();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    await this.applying; // parts of a job that failed after sending them
  }

  private submitBatch(): void {
    if (this.batch.length === 0) return;
    const waiting = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const parts: PartsOfJob = { failure: undefined };
    const job = this.pool.submit(waiting.map((w) => w.segment), (part) => this.applyPart(part, parts));
    const done = job.then(
      (result) => this.apply(result, waiting, parts),
      (err: unknown) => { for (const w of waiting) w.reject(err); },
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Stores a full slot of a job still running (in arrival order, like results) and frees it at once. */
  private applyPart(part: PoolPart, parts: PartsOfJob): void {
    const step = this.applying.then(async () => {
      try {
        await this.store(part.contents, part.payload);
      } catch (e) {
        parts.failure ??= { error: e };
      } finally {
        part.release();
      }
    });
    this.applying = step.catch(() => undefined);
  }

  private apply(result: PoolResult, waiting: readonly Waiting[], parts: PartsOfJob): Promise<void> {
    const step = this.applying.then(async () => {
      if (parts.failure !== undefined) {
        // a part of this job could not be stored: none of its files is complete
        result.release();
        for (const w of waiting) w.reject(parts.failure.error);
        return;
      }
      this.progress.bytesNew += result.bytesPrepared;
      for (let i = 0; i < result.segments.length; i++) {
        const seg = result.segments[i]!;
        const w = waiting[i]!;
        try {
          await this.store(seg.chunks, result.payload);
          this.progress.bytesRead += seg.bytesRead;
          w.resolve(seg);
        } catch (e) {
          w.reject(e);
        }
      }
      // The content writer copied every payload into its packs: the slot can go back to its worker.
      result.release();
    });
    this.applying = step.catch(() => undefined);
    return step;
  }

  /** Hands the chunks' payloads (those in `payload`; -1: none to store) to the content writer, which copies them into packs. */
  private async store(chunks: readonly ChunkRecord[], payload: SharedArrayBuffer): Promise<void> {
    for (const c of chunks) {
      if (c.payloadOffset < 0) continue;
      await this.contents.addPreparedContent({
        contentId: c.contentId,
        payload: new Uint8Array(payload, c.payloadOffset, c.payloadLength),
        originalLength: c.length,
        compressionHeaderId: c.compressionHeaderId,
      });
      this.progress.bytesUploaded += c.payloadLength;
    }
  }
}
