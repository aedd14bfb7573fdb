import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { startWorkers, WORKER_READY, whenAllReady } from './worker-ready.ts';

function evalWorker(code: string): Worker {
  return new Worker(`const { parentPort } = require('node:worker_threads');\n${code}`, { eval: true });
}

describe('whenAllReady', () => {
  it('calls back once, after every worker signalled ready or ended, whichever comes first', async () => {
    const ready = evalWorker(`parentPort.postMessage(${JSON.stringify(WORKER_READY)}); setTimeout(() => {}, 60_000);`);
    const failing = evalWorker(`throw new Error('cannot load')`);
    const late = evalWorker(`parentPort.once('message', () => parentPort.postMessage(${JSON.stringify(WORKER_READY)}));`);
    failing.on('error', () => undefined);
    const readySaid = new Promise<void>((r) => ready.once('message', () => r()));
    const failingEnded = new Promise<void>((r) => failing.once('exit', () => r()));
    let calls = 0;
    const done = new Promise<void>((resolve) => whenAllReady([ready, failing, late], () => { calls++; resolve(); }));
    await Promise.all([readySaid, failingEnded]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(0); // `late` has said nothing yet
    late.postMessage('go');
    await done;
    await Promise.all([ready.terminate(), late.terminate()]);
    expect(calls).toBe(1);
  });

  it('calls back at once for no workers', () => {
    let calls = 0;
    whenAllReady([], () => calls++);
    expect(calls).toBe(1);
  });
});

const ENTRY = new URL('./worker-ready.ts', import.meta.url);

describe('startWorkers', () => {
  it('ends what it told `starting` when the workers started before a failure have ended', async () => {
    const started: Worker[] = [];
    let told = 0;
    let ended!: () => void;
    const end = new Promise<void>((r) => (ended = r));
    await expect(startWorkers(() => { told++; return ended; }, ENTRY, () => started, () => {
      started.push(evalWorker(`parentPort.postMessage(${JSON.stringify(WORKER_READY)}); setTimeout(() => {}, 60_000);`));
      throw new Error('the second worker could not start');
    })).rejects.toThrow('the second worker could not start');
    expect(told).toBe(1);
    await end;
    await started[0]!.terminate();
  });

  it('tells `starting` before it starts anything, and ends it at once when `start` starts none', async () => {
    const order: string[] = [];
    await startWorkers(() => { order.push('starting'); return () => order.push('loaded'); }, ENTRY, () => [], () => order.push('start'));
    expect(order).toEqual(['starting', 'start', 'loaded']);
  });

  it('starts without telling anyone when nobody asked', async () => {
    let ran = false;
    await startWorkers(undefined, ENTRY, () => [], () => { ran = true; });
    expect(ran).toBe(true);
  });
});
