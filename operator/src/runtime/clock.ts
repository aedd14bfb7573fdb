// Time as the operator sees it. Everything that schedules, backs off, expires or stamps takes a Clock, so
// tests drive time with FakeClock instead of sleeping.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `fn` once after `ms` (clock time). */
  setTimer(ms: number, fn: () => void): Timer;
}

/**
 * The longest delay one setTimeout can take: Node turns anything above 2^31-1 ms (about 24.8 days) into
 * 1 ms, which once made a @monthly schedule reconcile hundreds of times a second.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    // Longer delays are chained: wait the longest allowed step, then the rest, against the wall clock.
    const due = Date.now() + Math.max(0, ms);
    let t: NodeJS.Timeout;
    const arm = (): void => {
      const left = due - Date.now();
      t = setTimeout(left > MAX_TIMEOUT_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMEOUT_MS));
      t.unref?.();
    };
    arm();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolve after `ms` of `clock` time (rejects with the signal's reason when aborted). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal!.reason as Error);
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function toRfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
