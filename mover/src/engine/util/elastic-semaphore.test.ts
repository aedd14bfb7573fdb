import { describe, expect, it } from 'vitest';
import { ElasticSemaphore } from './elastic-semaphore.ts';

/** A task that runs until its `finish` is called, recording whether it got an extra slot. */
function task(log: { running: number; peak: number; extras: number }) {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const fn = async (beyondFloor: boolean): Promise<void> => {
    log.running++;
    log.peak = Math.max(log.peak, log.running);
    if (beyondFloor) log.extras++;
    await done;
    log.running--;
  };
  return { fn, finish: () => finish() };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ElasticSemaphore', () => {
  it('grants the floor always, and slots up to the ceiling only while there is room', async () => {
    let room = false;
    const sem = new ElasticSemaphore(2, 4, () => room);
    const log = { running: 0, peak: 0, extras: 0 };
    const tasks = Array.from({ length: 6 }, () => task(log));
    const runs = tasks.map((t) => sem.run(t.fn));
    await settle();
    expect(log.running).toBe(2);
    expect(log.extras).toBe(0);

    // room appears: nobody is woken by the condition alone, the next release lets a waiter in
    room = true;
    tasks[0]!.finish();
    await settle();
    expect(log.running).toBe(2);
    // a newcomer sees the room and takes an extra slot at once
    const late = task(log);
    const lateRun = sem.run(late.fn);
    await settle();
    expect(log.running).toBe(3);
    expect(log.extras).toBe(1);

    for (const t of [...tasks, late]) t.finish();
    await Promise.all([...runs, lateRun]);
    expect(log.running).toBe(0);
    expect(log.peak).toBe(3);
  });

  it('never runs more than the ceiling, and every waiter runs in the end without room', async () => {
    let room = true;
    const sem = new ElasticSemaphore(1, 3, () => room);
    const log = { running: 0, peak: 0, extras: 0 };
    const tasks = Array.from({ length: 8 }, () => task(log));
    const runs = tasks.map((t) => sem.run(t.fn));
    await settle();
    expect(log.running).toBe(3);
    expect(log.extras).toBe(2);
    room = false; // releases beyond the floor now shrink the pool instead of handing their slot over
    for (const t of tasks) {
      t.finish();
      await settle();
    }
    await Promise.all(runs);
    expect(log.peak).toBe(3);
    expect(log.running).toBe(0);
  });

  it('refuses a floor that is not a positive integer', () => {
    expect(() => new ElasticSemaphore(0, 4, () => true)).toThrow(RangeError);
  });
});
