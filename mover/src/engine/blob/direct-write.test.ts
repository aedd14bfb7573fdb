// O_DIRECT puts and ranged reads: real files in the temp directory (ext4 or tmpfs here, both take O_DIRECT on Linux ≥ 6.6)
// for the round trip, a recording file handle for the alignment rules, and a mocked open() for a filesystem
// that refuses O_DIRECT (none on this machine does).
import { randomBytes, randomFillSync } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DIRECT_ALIGN, writeDirect } from './direct-write.ts';
import { pageAlignedBuffer, sharedPageAlignedBuffer } from '../util/page-aligned-buffer.ts';
import { directSpan } from './direct-read.ts';
import { DIRECT_MIN_BYTES, createFilesystemStore } from './filesystem-store.ts';

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, open: vi.fn(real.open) };
});
const realOpen = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;

const PACK = 'p0123456789abcdef0123456789abcdef-s0123456789abcdef-c1';
let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'cairn-direct-'));
  vi.mocked(fsp.open).mockImplementation(realOpen);
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** A file handle that records each write's offset and length and keeps the bytes. */
function recordingHandle(): { fh: FileHandle; calls: [number, number][]; bytes: Buffer; truncatedTo: number[] } {
  const calls: [number, number][] = [];
  const truncatedTo: number[] = [];
  const state = { bytes: Buffer.alloc(0) };
  const fh = {
    write: (buf: Uint8Array, off: number, len: number, pos: number) => {
      calls.push([pos, len]);
      const end = Math.max(state.bytes.length, pos + len);
      const grown = Buffer.alloc(end);
      state.bytes.copy(grown);
      grown.set(buf.subarray(off, off + len), pos);
      state.bytes = grown;
      return Promise.resolve({ bytesWritten: len, buffer: buf });
    },
    truncate: (n: number) => {
      truncatedTo.push(n);
      state.bytes = state.bytes.subarray(0, n);
      return Promise.resolve();
    },
  } as unknown as FileHandle;
  return { fh, calls, truncatedTo, get bytes() { return state.bytes; } };
}

describe('writeDirect', () => {
  it('writes only whole aligned blocks at aligned offsets, then truncates to the exact length', async () => {
    const data = randomBytes(9 * 2 ** 20 + 123);
    const r = recordingHandle();
    await writeDirect(r.fh, data);
    for (const [pos, len] of r.calls) {
      expect(pos % DIRECT_ALIGN).toBe(0);
      expect(len % DIRECT_ALIGN).toBe(0);
    }
    expect(r.truncatedTo).toEqual([data.length]);
    expect(r.bytes.equals(data)).toBe(true);
  });

  it('writes page-aligned data from its own memory, all but the last partial block', async () => {
    const data = pageAlignedBuffer(9 * 2 ** 20 + 123)!;
    randomFillSync(data);
    const r = recordingHandle();
    const sources: ArrayBufferLike[] = [];
    const write = r.fh.write.bind(r.fh);
    (r.fh as { write: typeof write }).write = ((buf: Uint8Array, ...rest: [number, number, number]) => {
      sources.push(buf.buffer);
      return write(buf, ...rest);
    }) as typeof write;
    await writeDirect(r.fh, data);
    expect(r.calls[0]).toEqual([0, 9 * 2 ** 20]);
    expect(sources[0]).toBe(data.buffer);
    expect(r.calls.slice(1)).toEqual([[9 * 2 ** 20, DIRECT_ALIGN]]);
    expect(sources[1]).not.toBe(data.buffer);
    expect(r.truncatedTo).toEqual([data.length]);
    expect(r.bytes.equals(data)).toBe(true);
  });

  it('does not truncate a blob of whole blocks', async () => {
    const data = randomBytes(2 * 2 ** 20);
    const r = recordingHandle();
    await writeDirect(r.fh, data);
    expect(r.truncatedTo).toEqual([]);
    expect(r.bytes.equals(data)).toBe(true);
  });
});

describe('FilesystemBlobStore with O_DIRECT', () => {
  it('round-trips large blobs (odd lengths, more puts at once than staging slots) byte for byte', async () => {
    const s = await createFilesystemStore(join(dir, 'repo'), { create: true });
    const blobs = [DIRECT_MIN_BYTES, DIRECT_MIN_BYTES + 1, 5 * 2 ** 20 + 4095, 3 * 2 ** 20, 4 * 2 ** 20 + 7, 2 * 2 ** 20 + 1, 6 * 2 ** 20 - 1]
      .map((n, i) => ({ id: `${PACK}${i}`, data: randomBytes(n) }));
    await Promise.all(blobs.map((b) => s.put(b.id, b.data)));
    for (const b of blobs) {
      expect((await s.get(b.id)).equals(b.data)).toBe(true);
      expect((await fsp.stat(s.pathOf(b.id).file)).size).toBe(b.data.length);
    }
    const opened = vi.mocked(fsp.open).mock.calls.filter(([, flags]) => typeof flags === 'number' && (flags & fsConstants.O_DIRECT) !== 0);
    expect(new Set(opened.map(([path]) => String(path))).size).toBe(blobs.length); // a first try may meet a missing shard directory
    expect((await fsp.readdir(join(dir, 'repo', 'p', '012'))).filter((f) => f.includes('.tmp.'))).toEqual([]);
  });

  it('falls back to the page cache, for good, on a filesystem that refuses O_DIRECT', async () => {
    // Linux creates the file before it checks O_DIRECT, then fails the open with EINVAL: the temp file exists.
    vi.mocked(fsp.open).mockImplementation(async (path, flags, mode) => {
      if (typeof flags === 'number' && (flags & fsConstants.O_DIRECT) !== 0) {
        await (await realOpen(path, flags & ~fsConstants.O_DIRECT, mode)).close();
        throw Object.assign(new Error(`EINVAL: invalid argument, open '${String(path)}'`), { code: 'EINVAL' });
      }
      return realOpen(path, flags, mode);
    });
    const s = await createFilesystemStore(join(dir, 'repo'), { create: true });
    const a = randomBytes(DIRECT_MIN_BYTES + 10);
    const b = randomBytes(DIRECT_MIN_BYTES + 20);
    await s.put(`${PACK}a`, a);
    await s.put(`${PACK}b`, b);
    expect((await s.get(`${PACK}a`)).equals(a)).toBe(true);
    expect((await s.get(`${PACK}b`)).equals(b)).toBe(true);
    const tries = vi.mocked(fsp.open).mock.calls.filter(([, flags]) => typeof flags === 'number' && (flags & fsConstants.O_DIRECT) !== 0);
    expect(new Set(tries.map(([path]) => String(path))).size).toBe(1); // the second put did not try again
    expect((await fsp.readdir(join(dir, 'repo', 'p', '012'))).filter((f) => f.includes('.tmp.'))).toEqual([]);
  });

  it('leaves small blobs (indexes, manifests) to the page cache', async () => {
    const s = await createFilesystemStore(join(dir, 'repo'), { create: true });
    await s.put(PACK, randomBytes(DIRECT_MIN_BYTES - 1));
    const direct = vi.mocked(fsp.open).mock.calls.filter(([, flags]) => typeof flags === 'number' && (flags & fsConstants.O_DIRECT) !== 0);
    expect(direct).toEqual([]);
  });
});

describe('FilesystemBlobStore ranged reads with O_DIRECT', () => {
  const directOpens = (): string[] => vi.mocked(fsp.open).mock.calls
    .filter(([, flags]) => typeof flags === 'number' && (flags & fsConstants.O_DIRECT) !== 0)
    .map(([path]) => String(path));
  const einval = (what: string): Error => Object.assign(new Error(`EINVAL: invalid argument, ${what}`), { code: 'EINVAL' });

  it('reads whole blocks into page-aligned memory and returns the range as a view inside it', async () => {
    const s = await createFilesystemStore(join(dir, 'repo'), { create: true });
    const data = randomBytes(3 * DIRECT_ALIGN * 100 + 1234); // ends mid-block
    await s.put(PACK, data);
    const into = Buffer.from(sharedPageAlignedBuffer(2 ** 20)!);
    vi.mocked(fsp.open).mockClear();
    const ranges: [number, number][] = [[0, 1], [1, DIRECT_ALIGN], [DIRECT_ALIGN - 1, 2], [5000, 300_000], [data.length - 1, 1], [data.length - 5000, 5000], [DIRECT_ALIGN * 7, DIRECT_ALIGN]];
    for (const [offset, length] of ranges) {
      const got = await s.get(PACK, { offset, length, into });
      expect(got.equals(data.subarray(offset, offset + length))).toBe(true);
      expect(got.buffer).toBe(into.buffer);
      expect(got.byteOffset).toBe(directSpan(offset, length).head);
    }
    expect(directOpens()).toHaveLength(ranges.length);
    await expect(s.get(PACK, { offset: data.length - 10, length: 11, into })).rejects.toThrow(/outside blob/);
  });

  it('reads buffered when the memory is not page-aligned or has no room for the blocks around the range', async () => {
    const s = await createFilesystemStore(join(dir, 'repo'), { create: true });
    const data = randomBytes(DIRECT_MIN_BYTES + 99);
    await s.put(PACK, data);
    vi.mocked(fsp.open).mockClear();
    const plain = Buffer.alloc(64 * 1024);
    expect((await s.get(PACK, { offset: 4097, length: 60_000, into: plain })).equals(data.subarray(4097, 64_097))).toBe(true);
    const tight = Buffer.from(sharedPageAlignedBuffer(64 * 1024)!, 0, 60_000); // the range fits, its blocks do not
    expect((await s.get(PACK, { offset: 4097, length: 60_000, into: tight })).equals(data.subarray(4097, 64_097))).toBe(true);
    expect(directOpens()).toEqual([]);
  });

  it('falls back to the page cache, for good, when the filesystem refuses O_DIRECT at open or at the read', async () => {
    for (const where of ['open', 'read'] as const) {
      const s = await createFilesystemStore(join(dir, `repo-${where}`), { create: true, directIo: true });
      const data = randomBytes(DIRECT_MIN_BYTES + 5);
      await s.put(PACK, data);
      vi.mocked(fsp.open).mockImplementation(async (path, flags, mode) => {
        if (typeof flags !== 'number' || (flags & fsConstants.O_DIRECT) === 0) return realOpen(path, flags, mode);
        if (where === 'open') throw einval(`open '${String(path)}'`);
        const fh = await realOpen(path, flags, mode);
        fh.read = (() => Promise.reject(einval('read'))) as unknown as typeof fh.read;
        return fh;
      });
      vi.mocked(fsp.open).mockClear();
      const into = Buffer.from(sharedPageAlignedBuffer(2 ** 20)!);
      for (const offset of [10, 20_000]) {
        expect((await s.get(PACK, { offset, length: 70_000, into })).equals(data.subarray(offset, offset + 70_000))).toBe(true);
      }
      expect(directOpens()).toHaveLength(1); // the second read did not try again
      vi.mocked(fsp.open).mockImplementation(realOpen);
    }
  });
});
