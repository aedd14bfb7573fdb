import { describe, expect, it } from 'vitest';
import { StorageUnavailableError } from './blob-errors.ts';
import { FaultInjectingBlobStore } from './test-support/fault-injecting-store.ts';
import { MemoryBlobStore } from './memory-store.ts';

describe('FaultInjectingBlobStore', () => {
  it('fails only matching calls, after skip, at most times, and counts every call', async () => {
    const s = new FaultInjectingBlobStore(new MemoryBlobStore());
    await s.put('p1', Buffer.from('a'));
    await s.put('q1', Buffer.from('b'));
    const h = s.inject({ op: 'get', match: 'p', skip: 1, times: 2, fault: { kind: 'fail', error: () => new StorageUnavailableError('x') } });
    expect((await s.get('p1')).toString()).toBe('a'); // skipped
    await expect(s.get('p1')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect((await s.get('q1')).toString()).toBe('b'); // no match
    await expect(s.get('p1')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect((await s.get('p1')).toString()).toBe('a'); // exhausted
    expect(h.fired).toBe(2);
    expect(s.calls.get).toBe(5);
    expect(s.calls.put).toBe(2);
  });

  it('failAfter performs the write but reports failure', async () => {
    const s = new FaultInjectingBlobStore(new MemoryBlobStore());
    s.inject({ op: 'put', fault: { kind: 'failAfter', error: () => new StorageUnavailableError('lost') } });
    await expect(s.put('a', Buffer.from('1'))).rejects.toBeInstanceOf(StorageUnavailableError);
    expect((await s.inner.get('a')).toString()).toBe('1');
  });

  it('corrupts and truncates reads and writes, and delays', async () => {
    const s = new FaultInjectingBlobStore(new MemoryBlobStore());
    await s.put('a', Buffer.from([1, 2, 3, 4]));
    const h = s.inject({ op: 'get', times: 1, fault: { kind: 'corrupt', offset: 1 } });
    expect([...(await s.get('a'))]).toEqual([1, 0xfd, 3, 4]);
    expect([...(await s.get('a'))]).toEqual([1, 2, 3, 4]);
    h.remove();
    s.inject({ op: 'get', times: 1, fault: { kind: 'truncate', length: 2 } });
    expect([...(await s.get('a'))]).toEqual([1, 2]);
    const original = Buffer.from([9, 9, 9]);
    s.inject({ op: 'put', times: 1, fault: { kind: 'corrupt', offset: 0 } });
    await s.put('b', original);
    expect([...(await s.inner.get('b'))]).toEqual([0xf6, 9, 9]);
    expect([...original]).toEqual([9, 9, 9]); // the caller's buffer is untouched
    s.inject({ op: 'stat', times: 1, fault: { kind: 'delay', ms: 30 } });
    const t0 = Date.now();
    await s.stat('a');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });
});
