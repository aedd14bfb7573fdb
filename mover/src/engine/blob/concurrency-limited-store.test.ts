import { describe, expect, it } from 'vitest';
import type { BlobMetadata, BlobStore } from './blob-store.ts';
import { ConcurrencyLimitedBlobStore } from './concurrency-limited-store.ts';
import { Semaphore } from '../util/semaphore.ts';
import { MemoryBlobStore } from './memory-store.ts';

/** A memory store whose operations take a while, recording the peak number in flight. */
class SlowStore extends MemoryBlobStore {
  inFlight = 0;
  peak = 0;
  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    await new Promise((r) => setTimeout(r, 5));
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }
  override get(id: string) { return this.track(() => super.get(id)); }
  override put(id: string, data: Uint8Array) { return this.track(() => super.put(id, data)); }
  override stat(id: string) { return this.track(() => super.stat(id)); }
}

describe('ConcurrencyLimitedBlobStore', () => {
  it('never has more than the limit in flight and completes every call', async () => {
    const slow = new SlowStore();
    const s: BlobStore = new ConcurrencyLimitedBlobStore(slow, 3);
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.put(`b${i}`, Buffer.from([i]))));
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => s.get(`b${i}`)));
    expect(got.map((b) => b[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(slow.peak).toBe(3);
  });

  it('does not deadlock when a consumer reads blobs while iterating a listing with limit 1', async () => {
    const inner = new MemoryBlobStore();
    for (let i = 0; i < 5; i++) await inner.put(`x${i}`, Buffer.from([i]));
    const s = new ConcurrencyLimitedBlobStore(inner, 1);
    const seen: BlobMetadata[] = [];
    for await (const m of s.list('x')) {
      await s.get(m.id);
      seen.push(m);
    }
    expect(seen.length).toBe(5);
  });

  it('releases slots when operations fail', async () => {
    const s = new ConcurrencyLimitedBlobStore(new MemoryBlobStore(), 1);
    for (let i = 0; i < 3; i++) await expect(s.get('missing')).rejects.toThrow();
    await s.put('ok', Buffer.from('1'));
    expect((await s.get('ok')).toString()).toBe('1');
  });

  it('rejects a non-positive limit', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
