// The filesystem store's blob writer on real files: a blob appended in pieces is stored whole and appears only
// at commit, bytes read back before the commit are the ones appended, an aborted or failed writer leaves
// nothing behind, and O_DIRECT is used where the filesystem takes it (its writes land at aligned offsets).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CairnError } from '../errors.ts';
import { listAll } from './blob-store.ts';
import { DIRECT_ALIGN } from './direct-write.ts';
import { FileBlobWriter, WINDOW_BYTES, type FileBlobTarget } from './file-blob-writer.ts';
import { createFilesystemStore, type FilesystemBlobStore } from './filesystem-store.ts';

const PACK = 'p0123456789abcdef0123456789abcdef-s0123456789abcdef-c1';
let dir: string;
let store: FilesystemBlobStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-writer-'));
  store = await createFilesystemStore(dir, { create: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under the store's directory, relative (temp files included). */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

/** A writer target whose temp file is the handle `openTemp` gives (`file`.tmp.1 on disk for the rename). */
function fakeTarget(file: string, directIo: boolean, openTemp: (direct: boolean) => FileHandle): FileBlobTarget {
  return {
    file,
    tmp: `${file}.tmp.1`,
    dir: join(file, '..'),
    fsync: true,
    directIo: () => directIo,
    directIoRefused: () => undefined,
    openTemp: (direct) => Promise.resolve(openTemp(direct)),
    syncDir: () => Promise.resolve(),
  };
}

/** Appends `data` in pieces of the given sizes, cycling. */
function appendInPieces(w: { append(d: Uint8Array): void }, data: Buffer, sizes: number[]): void {
  for (let pos = 0, i = 0; pos < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - pos);
    w.append(data.subarray(pos, pos + n));
    pos += n;
  }
}

describe('FileBlobWriter', () => {
  for (const directIo of [true, false]) {
    it(`stores a blob appended in pieces across windows, visible only after commit (O_DIRECT ${directIo ? 'on' : 'off'})`, async () => {
      const s = await createFilesystemStore(dir, { directIo });
      const data = randomBytes(2 * WINDOW_BYTES + 12_345);
      const w = s.openWriter(PACK);
      appendInPieces(w, data, [1, 100_000, 3 * 1024 * 1024 + 7, 4096, 9 * 1024 * 1024]);
      expect(w.length).toBe(data.length);
      await w.drain();
      expect(await listAll(s, 'p')).toEqual([]);
      await w.commit();
      const got = await s.get(PACK);
      expect(got.equals(data)).toBe(true);
      expect((await listAll(s, 'p')).map((m) => [m.id, m.length])).toEqual([[PACK, data.length]]);
      expect((await filesUnder(dir)).filter((f) => f.includes('.tmp.'))).toEqual([]);
    });
  }

  it('stores an empty blob, and a blob of exactly one window', async () => {
    for (const [id, n] of [[`${PACK}0`, 0], [`${PACK}1`, WINDOW_BYTES]] as const) {
      const data = randomBytes(n);
      const w = store.openWriter(id);
      w.append(data);
      await w.commit();
      expect((await store.get(id)).equals(data)).toBe(true);
      expect((await stat(store.pathOf(id).file)).size).toBe(n);
    }
  });

  it('reads back appended bytes before the commit, across what is on disk and what is still in memory', async () => {
    const data = randomBytes(WINDOW_BYTES + 500_000);
    const w = store.openWriter(PACK);
    appendInPieces(w, data, [777_777]);
    for (const [off, len] of [[0, 10], [WINDOW_BYTES - 5, 10], [WINDOW_BYTES + 100, 1000], [123_456, WINDOW_BYTES], [0, data.length]] as const) {
      expect((await w.read(off, len)).equals(data.subarray(off, off + len))).toBe(true);
    }
    await expect(w.read(data.length - 1, 2)).rejects.toThrow(RangeError);
    await w.commit();
  });

  it('leaves neither the blob nor its temp file when aborted', async () => {
    const w = store.openWriter(PACK);
    w.append(randomBytes(WINDOW_BYTES * 2 + 1));
    await w.drain();
    expect((await filesUnder(dir)).some((f) => f.includes('.tmp.'))).toBe(true);
    await w.abort();
    await w.abort();
    expect((await filesUnder(dir)).filter((f) => f.startsWith('p'))).toEqual([]);
    await expect(store.get(PACK)).rejects.toThrow(/not found/);
  });

  it('creates its temp file only after beforeFirstWrite has settled, and fails with that error when it fails', async () => {
    const file = join(dir, 'blob.f');
    let markerStored = false;
    const openedAfterMarker: boolean[] = [];
    const w = new FileBlobWriter(PACK, {
      ...fakeTarget(file, false, () => {
        throw new Error('unused');
      }),
      beforeFirstWrite: async () => {
        await new Promise((r) => setImmediate(r)); // a marker put takes a turn of the event loop at least
        markerStored = true;
      },
      openTemp: async () => {
        openedAfterMarker.push(markerStored);
        return open(`${file}.tmp.1`, 'wx');
      },
    });
    w.append(randomBytes(WINDOW_BYTES + 1)); // one window handed to the background at once
    await w.commit();
    expect(openedAfterMarker).toEqual([true]);
    expect((await stat(file)).size).toBe(WINDOW_BYTES + 1);

    const failing = store.openWriter(PACK, { beforeFirstWrite: () => Promise.reject(new CairnError('UNREACHABLE', 'marker not stored')) });
    failing.append(randomBytes(10));
    await expect(failing.commit()).rejects.toThrow('marker not stored');
    expect(await filesUnder(dir)).toEqual(['.shards', 'blob.f']);
  });

  it('says its temp file was deleted, when something removed it before the commit renamed it', async () => {
    const w = store.openWriter(PACK);
    w.append(randomBytes(WINDOW_BYTES + 1));
    await w.drain();
    await w.read(0, 1); // the first window is on disk
    const [tmp] = (await filesUnder(dir)).filter((f) => f.includes('.tmp.'));
    await rm(join(dir, tmp!));
    const err = await w.commit().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CairnError);
    expect((err as CairnError).message).toBe(`cannot write ${store.pathOf(PACK).file}: its temporary file ${join(dir, tmp!)} was deleted before it was renamed into place`);
    expect((err as CairnError).retryable).toBe(true);
  });

  it('writes O_DIRECT files in whole blocks at aligned offsets, then truncates to the exact length', async () => {
    const writes: [number, number][] = [];
    const truncated: number[] = [];
    let bytes = Buffer.alloc(0);
    const handle = {
      write: (buf: Uint8Array, off: number, len: number, pos: number) => {
        writes.push([pos, len]);
        const grown = Buffer.alloc(Math.max(bytes.length, pos + len));
        bytes.copy(grown);
        grown.set(buf.subarray(off, off + len), pos);
        bytes = grown;
        return Promise.resolve({ bytesWritten: len, buffer: buf });
      },
      truncate: (n: number) => {
        truncated.push(n);
        bytes = bytes.subarray(0, n);
        return Promise.resolve();
      },
      sync: () => Promise.resolve(),
      close: () => Promise.resolve(),
    } as unknown as FileHandle;
    const opened: boolean[] = [];
    const file = join(dir, 'p', 'blob.f');
    await mkdir(join(dir, 'p'), { recursive: true });
    await writeFile(`${file}.tmp.1`, ''); // what the rename at commit moves
    const w = new FileBlobWriter(PACK, fakeTarget(file, true, (direct) => {
      opened.push(direct);
      return handle;
    }));
    const data = randomBytes(2 * WINDOW_BYTES + 5000);
    appendInPieces(w, data, [1_000_003]);
    await w.commit();
    expect(opened).toEqual([true]);
    for (const [pos, len] of writes) {
      expect(pos % DIRECT_ALIGN).toBe(0);
      expect(len % DIRECT_ALIGN).toBe(0);
    }
    expect(truncated).toEqual([data.length]);
    expect(bytes.equals(data)).toBe(true);
  });

  it('fails every later call with the write error, naming the blob file, and removes its temp file at once', async () => {
    const file = join(dir, 'p', 'blob.f');
    await mkdir(join(dir, 'p'), { recursive: true });
    let closed = 0;
    const failing = {
      write: () => Promise.reject(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', syscall: 'write' })),
      close: () => {
        closed++;
        return Promise.resolve();
      },
    } as unknown as FileHandle;
    const w = new FileBlobWriter(PACK, fakeTarget(file, false, () => failing));
    await writeFile(`${file}.tmp.1`, 'partial'); // the temp file the failing handle stands for
    w.append(randomBytes(WINDOW_BYTES));
    const err = await w.read(0, 1).then(() => undefined, (e: unknown) => e); // waits for the write
    expect(err).toBeInstanceOf(CairnError);
    expect((err as Error).message).toContain(file);
    expect(closed).toBe(1);
    expect(await readdir(join(dir, 'p'))).toEqual([]);
    expect(() => w.append(Buffer.from('more'))).toThrow((err as Error).message);
    await expect(w.drain()).rejects.toThrow((err as Error).message);
    await expect(w.commit()).rejects.toThrow((err as Error).message);
    await expect(w.commit()).rejects.toThrow((err as Error).message);
  });
});
