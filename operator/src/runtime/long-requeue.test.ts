// Requeues longer than setTimeout's 2^31-1 ms limit: Node fires those after 1 ms, which made a @monthly
// schedule reconcile hundreds of times a second. Vitest's fake timers reproduce that overflow, so these tests
// fail without the clamp.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMEOUT_MS, systemClock } from './clock.ts';
import { Controller } from './controller.ts';
import { MAX_REQUEUE_MS, WorkQueue } from './work-queue.ts';

const DAY = 86_400_000;

describe('long delays', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-05-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a 40-day system timer after 40 days, not after 1 ms', () => {
    let fired = 0;
    systemClock.setTimer(40 * DAY, () => fired++);
    vi.advanceTimersByTime(60_000);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(40 * DAY - MAX_TIMEOUT_MS - 60_000 - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
  });

  it('cancels a chained timer', () => {
    let fired = 0;
    const t = systemClock.setTimer(30 * DAY, () => fired++);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 1_000);
    t.cancel();
    vi.advanceTimersByTime(30 * DAY);
    expect(fired).toBe(0);
  });

  it('reconciles a key asked back in a month once a minute at most, and re-plans hourly', async () => {
    let reconciles = 0;
    const queue = new WorkQueue(systemClock);
    const controller = new Controller('monthly', queue, () => {
      reconciles++;
      return Promise.resolve({ requeueAt: systemClock.now() + 30 * DAY });
    }, pino({ level: 'silent' }), 2);
    controller.start();
    queue.add('ns/monthly');
    for (let s = 0; s < 60; s++) await vi.advanceTimersByTimeAsync(1_000);
    expect(reconciles).toBe(1);
    await vi.advanceTimersByTimeAsync(MAX_REQUEUE_MS);
    expect(reconciles).toBe(2);
    await controller.stop();
  });
});
