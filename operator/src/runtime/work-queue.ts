// A de-duplicating work queue with the client-go semantics controllers rely on: a key is queued at most
// once, never handed to two workers at once (re-adds while processing are replayed after done()), delayed
// adds keep the earliest deadline, and failures back off exponentially per key until forget().
import type { Clock, Timer } from './clock.ts';

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 5 * 60_000 };

/**
 * A key asked back later than this is looked at after this long instead, and its reconcile plans again. No
 * timer is ever armed for weeks (a monthly schedule's next run), and a clock step or a missed event costs at
 * most this much delay.
 */
export const MAX_REQUEUE_MS = 60 * 60_000;

export class WorkQueue {
  private readonly clock: Clock;
  private readonly backoffClock: Clock;
  private readonly backoff: BackoffOptions;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: Timer }>();
  private readonly retries = new Map<string, { at: number; timer: Timer }>();
  private readonly polls = new Map<string, { at: number; timer: Timer }>();
  private readonly failures = new Map<string, number>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private stopped = false;

  /**
   * `clock` times addAfter (requeue-after: "wake me at this business time"); `backoffClock` times failure
   * retries, which are about elapsed real time even when tests drive the business clock by hand.
   */
  constructor(clock: Clock, backoff: BackoffOptions = DEFAULT_BACKOFF, backoffClock: Clock = clock) {
    this.clock = clock;
    this.backoff = backoff;
    this.backoffClock = backoffClock;
  }

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopped || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Add `key` after `ms` (at most MAX_REQUEUE_MS); an earlier pending deadline for the same key wins. */
  addAfter(key: string, ms: number): void {
    this.schedule(key, Math.min(ms, MAX_REQUEUE_MS), this.clock, this.delayed);
  }

  /** Add `key` at business-clock time `at` (now if that has passed; at most MAX_REQUEUE_MS from now). */
  addAt(key: string, at: number): void {
    this.addAfter(key, at - this.clock.now());
  }

  private schedule(key: string, ms: number, clock: Clock, pending: Map<string, { at: number; timer: Timer }>): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = clock.now() + ms;
    const existing = pending.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) return;
      existing.timer.cancel();
    }
    const timer = clock.setTimer(ms, () => {
      pending.delete(key);
      this.add(key);
    });
    pending.set(key, { at, timer });
  }

  /** Add `key` after `ms` (at most MAX_REQUEUE_MS) of runtime-clock time (polling objects we do not watch). */
  addAfterRuntime(key: string, ms: number): void {
    this.schedule(key, Math.min(ms, MAX_REQUEUE_MS), this.backoffClock, this.polls);
  }

  /** Re-add after this key's next backoff step (1s, 2s, 4s ... capped). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(n, 30));
    this.schedule(key, delay, this.backoffClock, this.retries);
    return delay;
  }

  /** Clear the failure count of `key` (after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Next key to work on; undefined once shut down. Call done(key) when finished. */
  get(): Promise<string | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.stopped = true;
    for (const d of [...this.delayed.values(), ...this.retries.values(), ...this.polls.values()]) d.timer.cancel();
    this.delayed.clear();
    this.retries.clear();
    this.polls.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }
}
