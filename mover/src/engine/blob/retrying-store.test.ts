import { describe, expect, it } from 'vitest';
import { AuthFailedError, BlobExistsError, BlobNotFoundError, StorageUnavailableError } from './blob-errors.ts';
import { FaultInjectingBlobStore } from './test-support/fault-injecting-store.ts';
import { MemoryBlobStore } from './memory-store.ts';
import { RetryingBlobStore, type RetryEvent } from './retrying-store.ts';
import { listAll } from './blob-store.ts';

const outage = (): Error => new StorageUnavailableError('endpoint down');

function setup(options: { maxAttempts?: number; maxElapsedMs?: number } = {}) {
  const faulty = new FaultInjectingBlobStore(new MemoryBlobStore());
  const delays: number[] = [];
  const events: RetryEvent[] = [];
  let clock = 0;
  const store = new RetryingBlobStore(faulty, {
    initialDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 0.999,
    sleep: async (ms) => {
      delays.push(ms);
      clock += ms;
    },
    now: () => clock,
    onRetry: (e) => events.push(e),
    ...options,
  });
  return { faulty, store, delays, events };
}

describe('RetryingBlobStore', () => {
  it('retries retryable errors with exponential, capped, jittered backoff and then succeeds', async () => {
    const { faulty, store, delays, events } = setup();
    await faulty.inner.put('a', Buffer.from('x'));
    faulty.inject({ op: 'get', times: 5, fault: { kind: 'fail', error: outage } });
    expect((await store.get('a')).toString()).toBe('x');
    expect(faulty.calls.get).toBe(6);
    // ceilings 100, 200, 400, 800, 1000 (capped) scaled by random 0.999
    expect(delays).toEqual([99, 199, 399, 799, 999]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(events[0]!.operation).toBe('get a');
  });

  it('full jitter: a random of 0 means no wait', async () => {
    const faulty = new FaultInjectingBlobStore(new MemoryBlobStore());
    const delays: number[] = [];
    const store = new RetryingBlobStore(faulty, { random: () => 0, sleep: async (ms) => void delays.push(ms) });
    faulty.inject({ op: 'stat', times: 2, fault: { kind: 'fail', error: outage } });
    await expect(store.stat('none')).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(delays).toEqual([0, 0]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { faulty, store } = setup({ maxAttempts: 3 });
    faulty.inject({ op: 'put', fault: { kind: 'fail', error: outage } });
    await expect(store.put('a', Buffer.from('x'))).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(faulty.calls.put).toBe(3);
  });

  it('gives up when the next wait would exceed maxElapsedMs', async () => {
    const { faulty, store, delays } = setup({ maxAttempts: 100, maxElapsedMs: 1500 });
    faulty.inject({ op: 'delete', fault: { kind: 'fail', error: outage } });
    await expect(store.delete('a')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1500);
    expect(faulty.calls.delete).toBe(delays.length + 1);
  });

  it('never retries auth failures or other permanent errors', async () => {
    const { faulty, store } = setup();
    faulty.inject({ op: 'get', fault: { kind: 'fail', error: () => new AuthFailedError('bad key') } });
    await expect(store.get('a')).rejects.toBeInstanceOf(AuthFailedError);
    expect(faulty.calls.get).toBe(1);
    // Even an auth error someone marked retryable is not retried.
    faulty.clear();
    faulty.inject({ op: 'get', fault: { kind: 'fail', error: () => new AuthFailedError('bad key', { retryable: true }) } });
    await expect(store.get('a')).rejects.toBeInstanceOf(AuthFailedError);
    expect(faulty.calls.get).toBe(2);
    faulty.clear();
    await expect(store.get('missing')).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(faulty.calls.get).toBe(3);
  });

  it('restarts a listing that fails midway without repeating blobs', async () => {
    const { faulty, store } = setup();
    for (const id of ['p1', 'p2', 'p3', 'p4']) await faulty.inner.put(id, Buffer.from(id));
    faulty.inject({ op: 'list', times: 1, fault: { kind: 'fail', error: outage, afterItems: 2 } });
    expect((await listAll(store, 'p')).map((m) => m.id)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(faulty.calls.list).toBe(2);
  });

  it('treats BlobExistsError after a lost ifNotExists response as success when the bytes match', async () => {
    const { faulty, store } = setup();
    faulty.inject({ op: 'put', times: 1, fault: { kind: 'failAfter', error: outage } });
    await store.put('kopia.repository', Buffer.from('mine'), { ifNotExists: true });
    expect(faulty.calls.put).toBe(2);
    // Someone else's blob is still a conflict.
    await faulty.inner.put('other', Buffer.from('theirs'));
    faulty.inject({ op: 'put', times: 1, fault: { kind: 'fail', error: outage } });
    await expect(store.put('other', Buffer.from('mine'), { ifNotExists: true })).rejects.toBeInstanceOf(BlobExistsError);
    // And a first-attempt conflict is never second-guessed.
    await expect(store.put('kopia.repository', Buffer.from('mine'), { ifNotExists: true })).rejects.toBeInstanceOf(BlobExistsError);
  });
});
