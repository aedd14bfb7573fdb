// Retries transient storage failures (errors with `retryable: true`: outages, timeouts, 5xx, throttling)
// with exponential backoff and full jitter, bounded by an attempt count and a total time budget.
// Everything else — auth failures, missing blobs, permission errors — is thrown at once: retrying a
// rejected credential only produces a storm of identical failures.
import type { BlobMetadata, BlobStore, ByteRange, PutOptions } from './blob-store.ts';
import { BlobExistsError } from './blob-errors.ts';
import { isCairnError } from '../errors.ts';

export interface RetryOptions {
  /** Total attempts per operation, including the first (default 8). */
  readonly maxAttempts?: number;
  /** Backoff ceiling of the first retry in ms (default 200); doubles per attempt. */
  readonly initialDelayMs?: number;
  /** Largest backoff ceiling in ms (default 10 000). */
  readonly maxDelayMs?: number;
  /** No new attempt starts once this much time has passed since the first (default 120 000 ms). */
  readonly maxElapsedMs?: number;
  /** Random source in [0, 1) for jitter (tests inject a fixed one). */
  readonly random?: () => number;
  /** Sleep function (tests inject a fake). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Monotonic clock in ms (tests inject a fake). */
  readonly now?: () => number;
  /** Called before each retry: which operation, the failed attempt number (1-based), the error, the delay. */
  readonly onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  readonly operation: string;
  readonly attempt: number;
  readonly error: unknown;
  readonly delayMs: number;
}

export function isRetryable(e: unknown): boolean {
  return isCairnError(e) && e.retryable && e.code !== 'AUTH_FAILED';
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RetryingBlobStore implements BlobStore {
  readonly inner: BlobStore;
  private readonly maxAttempts: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxElapsedMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(inner: BlobStore, options: RetryOptions = {}) {
    this.inner = inner;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 8);
    this.initialDelayMs = options.initialDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.maxElapsedMs = options.maxElapsedMs ?? 120_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? (() => performance.now());
    this.onRetry = options.onRetry;
  }

  get description(): string {
    return this.inner.description;
  }

  /** Runs `fn` until it succeeds, fails permanently, or the attempt/time budget is spent. */
  async run<T>(operation: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    const start = this.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (e) {
        await this.backoff(operation, attempt, e, start);
      }
    }
  }

  /** Rethrows `e` unless it is retryable and the budget allows another attempt; otherwise waits. */
  private async backoff(operation: string, attempt: number, e: unknown, start: number): Promise<void> {
    if (!isRetryable(e) || attempt >= this.maxAttempts) throw e;
    // Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))).
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (attempt - 1));
    const delayMs = Math.floor(this.random() * ceiling);
    if (this.now() - start + delayMs > this.maxElapsedMs) throw e;
    this.onRetry?.({ operation, attempt, error: e, delayMs });
    await this.sleep(delayMs);
  }

  get(id: string, range?: ByteRange): Promise<Buffer> {
    return this.run(`get ${id}`, () => this.inner.get(id, range));
  }

  stat(id: string): Promise<BlobMetadata> {
    return this.run(`stat ${id}`, () => this.inner.stat(id));
  }

  /**
   * A listing that fails midway is restarted from the beginning; blobs already yielded are skipped, so
   * the consumer sees each blob once.
   */
  async *list(prefix: string): AsyncGenerator<BlobMetadata> {
    const seen = new Set<string>();
    const start = this.now();
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const m of this.inner.list(prefix)) {
          if (seen.has(m.id)) continue;
          seen.add(m.id);
          yield m;
        }
        return;
      } catch (e) {
        await this.backoff(`list ${prefix}`, attempt, e, start);
      }
    }
  }

  /**
   * With ifNotExists, an earlier attempt may have succeeded although its response was lost; the retry then
   * sees BlobExistsError. If the stored blob has exactly our bytes, that retry counts as success.
   */
  put(id: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    return this.run(`put ${id}`, async (attempt) => {
      try {
        await this.inner.put(id, data, options);
      } catch (e) {
        if (attempt > 1 && options?.ifNotExists === true && e instanceof BlobExistsError) {
          const existing = await this.inner.get(id).catch(() => undefined);
          if (existing !== undefined && Buffer.compare(existing, data) === 0) return;
        }
        throw e;
      }
    });
  }

  delete(id: string): Promise<void> {
    return this.run(`delete ${id}`, () => this.inner.delete(id));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
