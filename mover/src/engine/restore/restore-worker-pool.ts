// A fixed pool of restore writer workers (restore-worker.ts). Tasks go to the worker with the fewest in
// flight; the caller bounds how many tasks exist at once (memory), so the pool keeps no queue of its own.
// The threads start with the restore's own settings and get what comes from the repository (the decoder's
// keys, the range slots) in a setup message before their first task: the CLI starts them while the
// repository opens (prestart), so their start-up (~100 ms each, most of it loading modules) is not spent
// after the first pack range is already waiting for them.
import { Worker } from 'node:worker_threads';
import { CairnError } from '../errors.ts';
import { startWorkers, WORKER_READY, type WorkersStarting } from '../util/worker-ready.ts';
import type { FinishTask, RestoreWorkerSettings, RestoreWorkerSetup, SetupMessage, TaskReply, WriteTask } from './restore-worker-protocol.ts';

/** The worker threads' module. */
const RESTORE_WORKER = new URL('./restore-worker.ts', import.meta.url);

/**
 * A writer's young generation: 12 MiB is V8's 4 MiB semi-space, as the hashing workers have. A writer's garbage
 * is its task messages and per-content wrappers, dead at once (the data is freed by hand, release-buffer.ts).
 * With 48 MiB (the main thread's 16 MiB semi-space) each writer kept ~26 MiB of heap resident for ~8 MiB used;
 * restore of the shared dataset into tmpfs, 6 alternated pairs: peak RSS 243 -> 224 MiB, wall 1.84 -> 1.78 s.
 * Given as a resource limit: the flag, set while the workers start, would make them compile Node's built-in
 * modules without its code cache (cli/heap-flags.ts).
 */
const WORKER_YOUNG_GENERATION_MB = 12;

export type TaskInput = Omit<WriteTask, 'id'> | Omit<FinishTask, 'id'>;

interface PoolWorker {
  readonly worker: Worker;
  readonly inFlight: Map<number, { resolve: (r: TaskReply) => void; reject: (e: unknown) => void }>;
}

export class RestoreWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly size: number;
  readonly settings: RestoreWorkerSettings;
  private setupMessage: SetupMessage | undefined;
  private nextId = 1;
  private closed = false;
  private readonly workersStarting: WorkersStarting | undefined;
  /** Settles when the workers have started: after this thread compiled their modules for the compile cache (worker-modules.ts). */
  private started: Promise<void> | undefined;

  /** Workers start with the first task (a restore that writes no file data never loads them), or at prestart(). */
  constructor(size: number, settings: RestoreWorkerSettings, workersStarting?: WorkersStarting) {
    this.size = Math.max(1, size);
    this.settings = settings;
    this.workersStarting = workersStarting;
  }

  /** Starts the threads now; tasks still wait for setup(). */
  prestart(): void {
    void this.starting();
  }

  /** The start, once; a failure reaches the tasks that wait for it, never the process as unhandled. */
  private starting(): Promise<void> {
    if (this.started === undefined) {
      this.started = this.start();
      this.started.catch(() => undefined);
    }
    return this.started;
  }

  /** What the threads need from the open repository; once, before the first task. */
  setup(setup: RestoreWorkerSetup): void {
    if (this.setupMessage !== undefined) throw new CairnError('INTERNAL', 'restore worker pool set up twice', { hint: 'This is a bug; rerun with --debug and report it.' });
    this.setupMessage = { type: 'setup', ...setup };
    for (const w of this.workers) w.worker.postMessage(this.setupMessage);
  }

  private start(): Promise<void> {
    return startWorkers(this.workersStarting, RESTORE_WORKER, () => this.workers.map((w) => w.worker), () => {
      if (!this.closed) this.spawnWorkers();
    });
  }

  private spawnWorkers(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(RESTORE_WORKER, {
        workerData: this.settings, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      // ahead of every task (a port delivers in order); a prestarted thread gets it from setup()
      if (this.setupMessage !== undefined) worker.postMessage(this.setupMessage);
      const pw: PoolWorker = { worker, inFlight: new Map() };
      worker.on('message', (msg: TaskReply | typeof WORKER_READY) => {
        if (msg === WORKER_READY) return;
        const t = pw.inFlight.get(msg.id);
        if (t === undefined) return;
        pw.inFlight.delete(msg.id);
        t.resolve(msg);
      });
      const failAll = (e: unknown): void => {
        for (const t of pw.inFlight.values()) t.reject(e);
        pw.inFlight.clear();
      };
      worker.on('error', (e) =>
        failAll(new CairnError('INTERNAL', `restore worker failed: ${e.message}`, { cause: e, hint: 'This is a bug; rerun with --debug and report it.' })),
      );
      worker.on('exit', (code) => {
        if (!this.closed) failAll(new CairnError('INTERNAL', `restore worker exited with code ${code}`, { hint: 'This is a bug; rerun with --debug and report it.' }));
      });
      this.workers.push(pw);
    }
  }

  /** Runs a task; `transfer` lists buffers handed over to the worker (zero-copy). */
  run(task: TaskInput, transfer: ArrayBuffer[] = []): Promise<TaskReply> {
    if (this.setupMessage === undefined) return Promise.reject(new CairnError('INTERNAL', 'restore worker pool used before setup', { hint: 'This is a bug; rerun with --debug and report it.' }));
    if (this.workers.length > 0) return this.post(task, transfer);
    return this.starting().then(() => this.post(task, transfer));
  }

  private post(task: TaskInput, transfer: ArrayBuffer[]): Promise<TaskReply> {
    if (this.closed || this.workers.length === 0) return Promise.reject(new CairnError('INTERNAL', 'restore worker pool is closed'));
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.inFlight.size < best.inFlight.size) best = w;
    const id = this.nextId++;
    return new Promise<TaskReply>((resolve, reject) => {
      best.inFlight.set(id, { resolve, reject });
      best.worker.postMessage({ ...task, id }, transfer);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
