import { describe, expect, it } from 'vitest';
import { ElasticSemaphore } from './elastic-semaphore.ts';

interface Log { running: number; peak: number; started: number }

/** A task that runs until its `finish` is called. */
function task(log: Log) {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const fn = async (): Promise<void> => {
    log.running++;
    log.started++;
    log.peak = Math.max(log.peak, log.running);
    await done;
    log.running--;
  };
  return { fn, finish: () => finish() };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Starts `n` tasks through `sem` and lets them settle; `finishAll` ends them all and waits. */
async function startTasks(sem: ElasticSemaphore, n: number) {
  const log: Log = { running: 0, peak: 0, started: 0 };
  const tasks = Array.from({ length: n }, () => task(log));
  const runs = tasks.map((t) => sem.run(t.fn));
  await settle();
  const finishAll = async (): Promise<void> => {
    for (const t of tasks) t.finish();
    await Promise.all(runs);
  };
  return { log, tasks, finishAll };
}

describe('ElasticSemaphore', () => {
  it('grants the floor always, and up to the ceiling once a release finds room', async () => {
    let room = false;
    const { log, tasks, finishAll } = await startTasks(new ElasticSemaphore(2, 4, () => room), 7);
    expect(log.running).toBe(2);

    room = true; // the condition alone wakes nobody: the next release admits up to the ceiling
    tasks[0]!.finish();
    await settle();
    expect(log.running).toBe(4);
    expect(log.started).toBe(5);

    room = false; // releases beyond the floor now shrink the pool back to it
    tasks[1]!.finish();
    tasks[2]!.finish();
    await settle();
    expect(log.running).toBe(2);

    await finishAll();
    expect(log.running).toBe(0);
    expect(log.started).toBe(7);
    expect(log.peak).toBe(4);
  });

  it('admits newcomers beyond the floor only while there is room, and never past the ceiling', async () => {
    const { log, finishAll } = await startTasks(new ElasticSemaphore(1, 3, () => true), 5);
    expect(log.running).toBe(3);
    await finishAll();
    expect(log.peak).toBe(3);
  });

  it('refuses a floor that is not a positive integer', () => {
    expect(() => new ElasticSemaphore(0, 4, () => true)).toThrow(RangeError);
  });
});
