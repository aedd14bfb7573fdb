import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody } from './s3-body.ts';

const chunks = (...parts: string[]): Readable => Readable.from(parts.map((p) => Buffer.from(p)));

describe('readBody', () => {
  it('copies the chunks into one buffer of the announced size', async () => {
    const out = await readBody(chunks('abc', 'de', 'f'), 6);
    expect(Buffer.from(out).toString()).toBe('abcdef');
    expect(out.buffer.byteLength).toBe(6);
  });

  it('returns exactly the bytes received when the body is shorter or longer than announced', async () => {
    expect(Buffer.from(await readBody(chunks('abc'), 5)).toString()).toBe('abc');
    expect(Buffer.from(await readBody(chunks('abc', 'defg', 'h'), 4)).toString()).toBe('abcdefgh');
  });

  it('reads into the caller\'s buffer when it is large enough', async () => {
    const into = Buffer.from(new SharedArrayBuffer(8));
    const out = await readBody(chunks('abc', 'de'), 5, into);
    expect(out.buffer).toBe(into.buffer);
    expect(into.subarray(0, 5).toString()).toBe('abcde');
    const small = Buffer.alloc(2);
    const other = await readBody(chunks('abc'), 3, small);
    expect(other.buffer).not.toBe(small.buffer);
    expect(Buffer.from(other).toString()).toBe('abc');
  });

  it('frees each part it copied that owns its whole buffer, and leaves views of larger buffers alone', async () => {
    const owned = Buffer.allocUnsafeSlow(3).fill('a');
    const shared = Buffer.from('xxbcdxx');
    const view = shared.subarray(2, 5);
    const out = await readBody(Readable.from([owned, view]), 6);
    expect(Buffer.from(out).toString()).toBe('aaabcd');
    expect(owned.buffer.detached).toBe(true);
    expect(owned.length).toBe(0);
    expect(shared.toString()).toBe('xxbcdxx');
  });

  it('fails when the body fails or closes before its end', async () => {
    const failing = new Readable({ read() { this.destroy(new Error('socket hang up')); } });
    await expect(readBody(failing, 10)).rejects.toThrow('socket hang up');
    const cut = new Readable({ read() { this.push(Buffer.from('ab')); this.destroy(); } });
    await expect(readBody(cut, 10)).rejects.toThrow(/premature close/i);
  });

  it('falls back to the SDK collector without a size', async () => {
    const body = { transformToByteArray: () => Promise.resolve(new Uint8Array([1, 2])) };
    expect([...(await readBody(body, undefined))]).toEqual([1, 2]);
  });
});
