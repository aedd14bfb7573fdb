import { describe, expect, it } from 'vitest';
import { ReadOnlyStoreError } from './blob-errors.ts';
import { listAll } from './blob-store.ts';
import { MemoryBlobStore } from './memory-store.ts';
import { ReadOnlyBlobStore } from './read-only-store.ts';

describe('ReadOnlyBlobStore', () => {
  it('reads through and refuses writes and deletes without touching the inner store', async () => {
    const inner = new MemoryBlobStore();
    await inner.put('a', Buffer.from('x'));
    const s = new ReadOnlyBlobStore(inner);
    expect((await s.get('a')).toString()).toBe('x');
    expect((await s.stat('a')).length).toBe(1);
    expect((await listAll(s, '')).map((m) => m.id)).toEqual(['a']);
    const put = await s.put('b', Buffer.from('y')).catch((e: unknown) => e);
    expect(put).toBeInstanceOf(ReadOnlyStoreError);
    expect((put as ReadOnlyStoreError).code).toBe('REFUSED');
    expect((put as Error).message).toContain('b');
    await expect(s.delete('a')).rejects.toBeInstanceOf(ReadOnlyStoreError);
    expect((await listAll(inner, '')).map((m) => m.id)).toEqual(['a']);
  });
});
