// Runs a reconcile function over a work queue with a few workers. A reconcile returns when (if ever) to look
// again; a thrown error re-queues the key with per-key exponential backoff. Success forgets the backoff.
import type { Logger } from 'pino';
import type { WorkQueue } from './work-queue.ts';

export interface ReconcileResult {
  /**
   * Look at this key again at this business-clock time (ms since the epoch). Absolute on purpose: a relative
   * delay computed from the reconcile's `now` would be applied after the reconcile's API calls, so a slow
   * reconcile (or a clock that moved meanwhile) would push the wake-up later than the plan asked for.
   */
  readonly requeueAt?: number;
  /** Look again after this many ms of runtime-clock time (polling something not watched). */
  readonly pollAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | undefined>;

export interface ControllerHooks {
  onReconcile?(controller: string, outcome: 'success' | 'error', seconds: number): void;
  /** A reconcile of `key` threw (after logging); e.g. to record a Warning Event on the object. */
  onError?(controller: string, key: string, error: unknown): void;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly reconcile: Reconciler;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly hooks: ControllerHooks;
  private running: Promise<void>[] = [];

  constructor(name: string, queue: WorkQueue, reconcile: Reconciler, log: Logger, workers = 2, hooks: ControllerHooks = {}) {
    this.name = name;
    this.queue = queue;
    this.reconcile = reconcile;
    this.log = log.child({ controller: name });
    this.workers = workers;
    this.hooks = hooks;
  }

  start(): void {
    for (let i = 0; i < this.workers; i++) this.running.push(this.work());
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.running);
    this.running = [];
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = performance.now();
      try {
        const result = await this.reconcile(key);
        this.queue.forget(key);
        if (result?.requeueAt !== undefined) this.queue.addAt(key, result.requeueAt);
        if (result?.pollAfterMs !== undefined) this.queue.addAfterRuntime(key, result.pollAfterMs);
        this.hooks.onReconcile?.(this.name, 'success', (performance.now() - started) / 1000);
      } catch (e) {
        const delay = this.queue.addRateLimited(key);
        this.log.error({ err: e, key, retryInMs: delay }, 'reconcile failed');
        this.hooks.onError?.(this.name, key, e);
        this.hooks.onReconcile?.(this.name, 'error', (performance.now() - started) / 1000);
      } finally {
        this.queue.done(key);
      }
    }
  }
}
