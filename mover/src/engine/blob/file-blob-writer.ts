// The filesystem store's BlobWriter: a blob (a data pack) goes to its temp file while it is produced, in 4 MiB
// windows, and is renamed into place by commit() — the same temp file, fsync, rename and directory fsync as
// put(), without holding the blob in memory. A backup kept two 30 MiB pack buffers resident for this (one
// filling, one being written); the writer keeps two or three windows.
//
// Windows are page-aligned (page-aligned-buffer.ts) and written whole at page-aligned file offsets, so the
// temp file is opened with O_DIRECT where the filesystem allows it (direct-write.ts says why); the last,
// partial window is written padded to a block and the file truncated to the blob's length. A filesystem that
// refuses O_DIRECT (at open or at the first write) gets the file through the page cache instead.
import type { FileHandle } from 'node:fs/promises';
import { open, rename, unlink } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { BufferPool } from '../util/buffer-pool.ts';
import { pageOffsetOf } from '../util/page-aligned-buffer.ts';
import type { BlobWriter } from './blob-writer.ts';
import { DIRECT_ALIGN, isDirectIoRefused, writeAll } from './direct-write.ts';
import { mapFsError, renameError } from './fs-errors.ts';
import type { CairnError } from '../errors.ts';

/** Bytes per window, and per write() call: a multiple of every block size O_DIRECT asks for. */
export const WINDOW_BYTES = 4 << 20;
/** Windows kept for the next writer (a backup fills one pack at a time; its last windows are being written). */
const windows = new BufferPool(WINDOW_BYTES, 4);

/** Whether O_DIRECT may write from `buf` (page-aligned memory; the pool falls back to ordinary memory). */
const isAligned = (buf: Buffer): boolean => pageOffsetOf(buf) === 0;

/** What the writer needs of the filesystem store. */
export interface FileBlobTarget {
  /** The blob's file and its temp file, in the same directory. */
  readonly file: string;
  readonly tmp: string;
  readonly dir: string;
  readonly fsync: boolean;
  /** Awaited before the temp file is created (BlobWriterOptions.beforeFirstWrite, passed on). */
  readonly beforeFirstWrite?: (() => Promise<unknown>) | undefined;
  /** Whether to try O_DIRECT (the store stops trying once a filesystem refused it). */
  directIo(): boolean;
  directIoRefused(): void;
  /** Creates the temp file (and missing shard directories). */
  openTemp(direct: boolean): Promise<FileHandle>;
  /** Makes the rename durable (fsync of the directory). */
  syncDir(): Promise<void>;
}

export class FileBlobWriter implements BlobWriter {
  readonly id: string;
  private readonly target: FileBlobTarget;
  private current: Buffer;
  /** Bytes of `current` in use. */
  private used = 0;
  /** Bytes handed to background writes (a multiple of WINDOW_BYTES). */
  private handedOff = 0;
  private fh: Promise<{ handle: FileHandle; direct: boolean }> | undefined;
  /** Whether the temp file may exist (removed by discard()). */
  private created = false;
  /** The background writes, in order: each window is written after the one before it. */
  private writes: Promise<void> = Promise.resolve();
  private writing = 0;
  private failure: CairnError | undefined;
  private done = false;
  /** The commit, once started (reads wait for it and then read the file). */
  private committing: Promise<void> | undefined;

  constructor(id: string, target: FileBlobTarget) {
    this.id = id;
    this.target = target;
    this.current = windows.acquire();
  }

  get length(): number {
    return this.handedOff + this.used;
  }

  append(data: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.done) throw new Error(`blob ${this.id} is already committed or aborted`);
    for (let pos = 0; pos < data.length;) {
      const n = Math.min(WINDOW_BYTES - this.used, data.length - pos);
      // a payload in a worker's shared payload slot: Buffer#copy is a memmove where TypedArray#set from
      // shared memory takes V8's slower relaxed-atomic copy (pack-writer.ts measured it)
      if (n >= 64 * 1024) Buffer.from(data.buffer, data.byteOffset + pos, n).copy(this.current, this.used);
      else this.current.set(data.subarray(pos, pos + n), this.used);
      this.used += n;
      pos += n;
      if (this.used === WINDOW_BYTES) this.handOff();
    }
  }

  async drain(): Promise<void> {
    while (this.writing > 1) await this.writes.catch(() => undefined);
    if (this.failure !== undefined) throw this.failure;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.length) throw new RangeError(`range ${offset}+${length} is outside blob ${this.id} (${this.length} bytes so far)`);
    const out = Buffer.allocUnsafe(length);
    // Settle the background writes first: then everything below handedOff is in the file and the rest in the
    // current window. A commit meanwhile gives the window back: its bytes are then read from the file too.
    for (;;) {
      if (this.committing !== undefined) {
        await this.committing.catch(() => undefined);
        if (this.failure !== undefined) throw this.failure;
        await this.readFile(out, offset, length);
        return out;
      }
      const writes = this.writes;
      await writes;
      if (this.failure !== undefined) throw this.failure;
      if (writes === this.writes) break;
    }
    const onDisk = Math.max(0, Math.min(offset + length, this.handedOff) - offset);
    if (onDisk < length) this.current.copy(out, onDisk, offset + onDisk - this.handedOff, offset + length - this.handedOff);
    if (onDisk > 0) await this.readFile(out.subarray(0, onDisk), offset, onDisk);
    return out;
  }

  /** Reads from the temp file, or from the blob's file once the commit has renamed it. */
  private async readFile(into: Buffer, offset: number, length: number): Promise<void> {
    // plain descriptors: O_DIRECT reads would need aligned memory and offsets
    let fh: FileHandle;
    try {
      fh = await open(this.target.tmp, fsConstants.O_RDONLY).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        return open(this.target.file, fsConstants.O_RDONLY);
      });
    } catch (e) {
      throw mapFsError(e, 'read', this.target.file);
    }
    try {
      const { bytesRead } = await fh.read(into, 0, length, offset);
      if (bytesRead !== length) throw Object.assign(new Error(`short read of ${this.target.file}`), { code: 'EIO' });
    } catch (e) {
      throw mapFsError(e, 'read', this.target.file);
    } finally {
      await fh.close();
    }
  }

  commit(): Promise<void> {
    if (this.done) return Promise.reject(this.failure ?? new Error(`blob ${this.id} is already committed or aborted`));
    this.done = true;
    this.committing = this.writeRest();
    return this.committing;
  }

  private async writeRest(): Promise<void> {
    const total = this.length;
    const tail = this.current;
    const tailBytes = this.used;
    try {
      await this.writes;
      if (this.failure !== undefined) throw this.failure;
      const file = await this.file(isAligned(tail));
      if (tailBytes > 0) {
        if (file.direct && isAligned(tail)) {
          const padded = Math.ceil(tailBytes / DIRECT_ALIGN) * DIRECT_ALIGN;
          tail.fill(0, tailBytes, padded);
          await writeAll(file.handle, tail.subarray(0, padded), this.handedOff);
          if (padded !== tailBytes) await file.handle.truncate(total);
        } else {
          await this.writeBuffered(file, tail.subarray(0, tailBytes), this.handedOff);
        }
      }
      if (this.target.fsync) await file.handle.sync();
      await file.handle.close();
      this.fh = undefined;
      await rename(this.target.tmp, this.target.file).catch(async (e: unknown) => {
        throw await renameError(e, this.target.tmp, this.target.file);
      });
      this.created = false;
    } catch (e) {
      this.failure ??= mapFsError(e, 'write', this.target.file);
      await this.discard();
      throw this.failure;
    } finally {
      windows.release(tail);
    }
    if (this.target.fsync) await this.target.syncDir();
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      windows.release(this.current);
    }
    await this.writes.catch(() => undefined);
    await this.discard();
  }

  /** Closes and removes the temp file, if there is one. */
  private async discard(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh !== undefined) await fh.then((f) => f.handle.close(), () => undefined).catch(() => undefined);
    if (this.created) await unlink(this.target.tmp).catch(() => undefined);
    this.created = false;
  }

  /**
   * Writes `data` through the page cache: memory that is not page-aligned (when aligned memory could not be
   * had) cannot go to an O_DIRECT descriptor, so it goes through a second, plain one.
   */
  private async writeBuffered(file: { handle: FileHandle; direct: boolean }, data: Uint8Array, at: number): Promise<void> {
    if (!file.direct) return writeAll(file.handle, data, at, false);
    const plain = await open(this.target.tmp, fsConstants.O_WRONLY);
    try {
      await writeAll(plain, data, at, false);
    } finally {
      await plain.close();
    }
  }

  /** Writes the full current window in the background and starts the next one. */
  private handOff(): void {
    const w = this.current;
    const at = this.handedOff;
    this.handedOff += WINDOW_BYTES;
    this.current = windows.acquire();
    this.used = 0;
    this.writing++;
    this.writes = this.writes.then(async () => {
      try {
        if (this.failure === undefined) await this.writeWindow(w, at);
      } catch (e) {
        this.failure ??= mapFsError(e, 'write', this.target.file);
        await this.discard(); // the blob is lost: its temp file goes at once
      } finally {
        this.writing--;
        windows.release(w);
      }
    });
  }

  private async writeWindow(w: Buffer, at: number): Promise<void> {
    const file = await this.file(isAligned(w));
    if (!isAligned(w)) return this.writeBuffered(file, w, at);
    try {
      await writeAll(file.handle, w, at, file.direct);
    } catch (e) {
      // a filesystem may accept O_DIRECT at open and refuse it at the first write: start over without it
      if (!(file.direct && at === 0 && isDirectIoRefused(e))) throw e;
      this.target.directIoRefused();
      await this.discard();
      const again = await this.file(false);
      await writeAll(again.handle, w, at, false);
    }
  }

  /** The temp file, created on first use: with O_DIRECT when the store still tries it and the memory is aligned. */
  private file(aligned = true): Promise<{ handle: FileHandle; direct: boolean }> {
    this.fh ??= (async () => {
      await this.target.beforeFirstWrite?.();
      this.created = true;
      if (aligned && this.target.directIo()) {
        try {
          return { handle: await this.target.openTemp(true), direct: true };
        } catch (e) {
          if (!isDirectIoRefused(e)) throw e;
          this.target.directIoRefused();
          await unlink(this.target.tmp).catch(() => undefined); // Linux creates the file before it checks O_DIRECT
        }
      }
      return { handle: await this.target.openTemp(false), direct: false };
    })();
    return this.fh;
  }
}
