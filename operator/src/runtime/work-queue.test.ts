import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock.ts';
import { WorkQueue } from './work-queue.ts';

describe('WorkQueue', () => {
  it('de-duplicates queued keys and never hands one key to two workers', async () => {
    const q = new WorkQueue(new FakeClock(0));
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    const k = await q.get();
    expect(k).toBe('a');
    q.add('a'); // re-added while processing: held back until done()
    expect(await q.get()).toBe('b');
    let third: string | undefined;
    void q.get().then((v) => (third = v));
    await Promise.resolve();
    expect(third).toBeUndefined();
    q.done('a');
    await Promise.resolve();
    expect(third).toBe('a');
  });

  it('keeps the earliest of several delayed adds', async () => {
    const clock = new FakeClock(0);
    const q = new WorkQueue(clock);
    q.addAfter('a', 10_000);
    q.addAfter('a', 5_000);
    q.addAfter('a', 20_000);
    clock.advance(4_999);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    clock.advance(60_000);
    expect(q.length).toBe(0); // the later timers were dropped
  });

  it('backs off per key exponentially and forget() resets it', () => {
    const clock = new FakeClock(0);
    const q = new WorkQueue(clock, { baseMs: 100, maxMs: 1_000 });
    expect(q.addRateLimited('a')).toBe(100);
    expect(q.addRateLimited('a')).toBe(200);
    expect(q.addRateLimited('a')).toBe(400);
    expect(q.addRateLimited('a')).toBe(800);
    expect(q.addRateLimited('a')).toBe(1_000);
    expect(q.addRateLimited('b')).toBe(100);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(100);
  });

  it('releases waiting workers on shutdown', async () => {
    const q = new WorkQueue(new FakeClock(0));
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('x');
    expect(q.length).toBe(0);
  });
});
