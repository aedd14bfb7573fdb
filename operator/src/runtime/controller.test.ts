import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Controller } from './controller.ts';
import { FakeClock } from './fake-clock.ts';
import { WorkQueue } from './work-queue.ts';

describe('Controller', () => {
  it('wakes a key at the business time its reconcile asked for, even when the clock moved during the reconcile', async () => {
    // The CI flake this pins: a schedule's reconcile read now = T, planned its next run at T + 60 s, and was
    // still writing status when the clock passed T + 61 s. A delay relative to the end of the reconcile armed
    // the timer at T + 121 s, and the due Job was never made.
    const clock = new FakeClock(0);
    const queue = new WorkQueue(clock);
    let release!: () => void;
    const seen: number[] = [];
    const controller = new Controller('c', queue, async () => {
      const now = clock.now();
      seen.push(now);
      if (seen.length === 1) await new Promise<void>((r) => (release = r));
      return { requeueAt: now + 60_000 };
    }, pino({ level: 'silent' }), 1);
    controller.start();
    queue.add('k');
    await waitUntil(() => seen.length === 1);
    clock.set(61_000);
    release();
    await waitUntil(() => seen.length === 2);
    expect(seen).toEqual([0, 61_000]);
    await controller.stop();
  });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}
