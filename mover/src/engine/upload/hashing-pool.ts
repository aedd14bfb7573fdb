// A fixed pool of hashing workers (one per core by default) with a bounded job queue. Workers start
// lazily, so a backup that finds nothing changed never pays for them.
import { Worker } from 'node:worker_threads';
import { CairnError } from '../errors.ts';
import { startWorkers, WORKER_READY, type WorkersStarting } from '../util/worker-ready.ts';
import { fromWorkerError } from './worker-error.ts';
import { freeSlot, slotStatesFor } from './payload-slots.ts';
import type { ChunkRecord, JobMessage, SegmentJob, SegmentResult, WorkerConfig, WorkerData, WorkerMessage } from './upload-protocol.ts';

/** The worker threads' module. */
const UPLOAD_WORKER = new URL('./upload-worker.ts', import.meta.url);

/** A finished job as the main thread sees it. */
export interface PoolResult {
  readonly segments: readonly SegmentResult[];
  /** Bytes compressed+encrypted by this job (for progress). */
  readonly bytesPrepared: number;
  /** The worker's payload slot holding the job's last payloads (ChunkRecord.payloadOffset is into it). */
  readonly payload: SharedArrayBuffer;
  /** Hands the slot back to its worker: call once, after the payloads were copied out. */
  release(): void;
}

/** A full payload slot of a job still running (payload-slots.ts): store its contents, then release it. */
export interface PoolPart {
  readonly contents: readonly ChunkRecord[];
  readonly payload: SharedArrayBuffer;
  /** Hands the slot back to its worker (which may be waiting for it): call once, after the payloads were copied out. */
  release(): void;
}

interface PendingJob {
  readonly message: JobMessage;
  readonly resolve: (r: PoolResult) => void;
  readonly reject: (e: unknown) => void;
  readonly onPart: ((part: PoolPart) => void) | undefined;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly inFlight: Map<number, PendingJob>;
  /** The worker's payload slots, by number (each arrives with the first message that uses it). */
  readonly slots: SharedArrayBuffer[];
  /** Who holds each slot (payload-slots.ts): the main thread frees a slot here. */
  readonly slotStates: Int32Array;
}

/**
 * A worker's garbage is per chunk and dies at once (its payloads go into shared payload slots), so a small
 * young generation collects it as well as a large one: with the main thread's --max-semi-space-size=16
 * each worker's young generation grew to ~30 MiB resident over a run of many small files. 12 MiB of young
 * generation is V8's 4 MiB semi-space; it is given as a resource limit because the flag, set while the
 * workers start, would make them compile Node's built-in modules without its code cache (cli/heap-flags.ts).
 */
const WORKER_YOUNG_GENERATION_MB = 12;

export interface HashingPoolOptions {
  readonly workers: number;
  /** Called once, when the first job starts the workers (a backup with nothing to read never pays for it). */
  readonly config: () => WorkerConfig;
  /** Jobs queued per worker beyond the one it runs, so it never waits for the main thread. */
  readonly depthPerWorker?: number;
  /** Told when the workers start and when they have loaded (worker-ready.ts). */
  readonly workersStarting?: WorkersStarting | undefined;
}

export class HashingPool {
  private readonly options: HashingPoolOptions;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: PendingJob[] = [];
  private readonly capacityWaiters: (() => void)[] = [];
  private nextJobId = 1;
  private failure: unknown;
  private closed = false;
  private started = false;

  constructor(options: HashingPoolOptions) {
    this.options = options;
  }

  /** Jobs accepted but not finished. */
  get outstanding(): number {
    let n = this.queue.length;
    for (const w of this.workers) n += w.inFlight.size;
    return n;
  }

  /** Jobs in flight on each started worker (empty until the first job starts them). */
  get load(): readonly number[] {
    return this.workers.map((w) => w.inFlight.size);
  }

  private get depth(): number {
    return this.options.depthPerWorker ?? 2;
  }

  /** Resolves when a new job would not exceed the pool's bounded backlog (memory stays bounded). */
  async waitForCapacity(): Promise<void> {
    while (this.outstanding >= this.options.workers * this.depth) {
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
  }

  /**
   * Runs one job. `onPart` takes the payload slots the job fills before its last (a job larger than a slot);
   * without it such a job fails.
   */
  submit(segments: readonly SegmentJob[], onPart?: (part: PoolPart) => void): Promise<PoolResult> {
    if (this.closed) return Promise.reject(new CairnError('INTERNAL', 'hashing pool is closed'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    try {
      this.start();
    } catch (e) {
      // the workers' configuration could not be built (e.g. an unsupported compression): every job fails alike
      this.fail(e);
      return Promise.reject(e);
    }
    return new Promise<PoolResult>((resolve, reject) => {
      this.queue.push({ message: { type: 'job', jobId: this.nextJobId++, segments }, resolve, reject, onPart });
      this.dispatch();
    });
  }

  /** Stops the workers; jobs not finished yet are rejected (nothing waits forever on a closed pool). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new CairnError('INTERNAL', 'hashing pool closed before the job finished'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }

  /**
   * Starts the workers once this thread has compiled their modules for the compile cache (worker-modules.ts);
   * jobs wait in the queue until then.
   */
  private start(): void {
    if (this.started) return;
    const config = this.options.config();
    this.started = true;
    const live = (): boolean => !this.closed && this.failure === undefined;
    startWorkers(this.options.workersStarting, UPLOAD_WORKER, () => this.workers.map((w) => w.worker), () => {
      if (live()) this.spawnWorkers(config);
    }).then(() => {
      if (live()) this.dispatch();
    }, (e: unknown) => this.fail(e));
  }

  private spawnWorkers(config: WorkerConfig): void {
    for (let i = 0; i < Math.max(1, this.options.workers); i++) {
      const slotStates = slotStatesFor(config.payloadSlots);
      const workerData: WorkerData = { ...config, slotStates };
      const worker = new Worker(UPLOAD_WORKER, {
        workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      const pw: PoolWorker = { worker, inFlight: new Map(), slots: [], slotStates: new Int32Array(slotStates) };
      worker.on('message', (msg: WorkerMessage | typeof WORKER_READY) => {
        if (msg !== WORKER_READY) this.onMessage(pw, msg);
      });
      worker.on('error', (err) => this.fail(new CairnError('INTERNAL', `hashing worker failed: ${err.message}`, { cause: err })));
      worker.on('exit', (code) => {
        if (!this.closed && code !== 0) this.fail(new CairnError('INTERNAL', `hashing worker exited with code ${code}`));
      });
      this.workers.push(pw);
    }
  }

  private onMessage(pw: PoolWorker, msg: WorkerMessage): void {
    const job = pw.inFlight.get(msg.jobId);
    if (msg.type !== 'fatal' && msg.buffer !== undefined) pw.slots[msg.slot] = msg.buffer;
    const payload = msg.type === 'fatal' ? undefined : pw.slots[msg.slot];
    let released = false;
    const release = (): void => {
      if (released || msg.type === 'fatal') return;
      released = true;
      freeSlot(pw.slotStates, msg.slot);
    };
    if (job === undefined) {
      release(); // a job rejected already (the pool failed): nobody will pack the slot
      return;
    }
    const unsent = (slot: number): CairnError => new CairnError('INTERNAL', `hashing worker named payload slot ${slot} without sending it`);
    if (msg.type === 'part') {
      if (payload === undefined || job.onPart === undefined) {
        release();
        this.fail(payload === undefined ? unsent(msg.slot) : new CairnError('INTERNAL', 'a hashing job outgrew its payload slot and nobody takes its parts'));
      } else {
        job.onPart({ contents: msg.contents, payload, release });
      }
      return;
    }
    pw.inFlight.delete(msg.jobId);
    if (msg.type === 'fatal') {
      job.reject(fromWorkerError(msg.error));
    } else if (payload === undefined) {
      job.reject(unsent(msg.slot));
    } else {
      job.resolve({ segments: msg.segments, bytesPrepared: msg.bytesPrepared, payload, release });
    }
    this.dispatch();
    const waiters = this.capacityWaiters.splice(0);
    for (const w of waiters) w();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: PoolWorker | undefined;
      for (const w of this.workers) if (best === undefined || w.inFlight.size < best.inFlight.size) best = w;
      if (best === undefined || best.inFlight.size >= this.depth) return;
      const job = this.queue.shift()!;
      best.inFlight.set(job.message.jobId, job);
      best.worker.postMessage(job.message);
    }
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const w of this.workers) for (const j of w.inFlight.values()) j.reject(err);
    for (const j of this.queue.splice(0)) j.reject(err);
    for (const w of this.capacityWaiters.splice(0)) w();
  }
}
