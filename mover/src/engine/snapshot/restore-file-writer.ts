// Filesystem side of restore: sparse writes, attributes in the safe order (owner, then mode — chown
// clears setuid/setgid — then times), atomic replacement and TARGET_ERROR reporting.
//
// Times: Node's fs API (libuv) sets times with microsecond resolution, so the sub-microsecond part of a
// stored nanosecond mtime is lost on restore (kopia/Go sets nanoseconds). mtimeSeconds() encodes the
// value so libuv's truncation lands exactly on the stored microsecond.
import { lchown, lutimes, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CairnError } from '../errors.ts';
import type { DirEntry } from './dir-entry.ts';
import { mtimeToNs } from './dir-entry.ts';

/** Zero runs shorter than this are written as data (keeps writes large; holes form per fs block). */
export const MIN_HOLE_BYTES = 32 * 1024;
const SCAN_BLOCK = 4096;
const ZEROS = Buffer.alloc(SCAN_BLOCK);

export function targetError(path: string, operation: string, cause: unknown): CairnError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CairnError('TARGET_ERROR', `cannot ${operation} ${path}: ${detail}`, {
    cause,
    hint: 'Check that the restore target is writable and has free space.',
  });
}

/** Seconds for fs.utimes that libuv truncates to exactly the stored microsecond. */
export function mtimeSeconds(mtime: string): number {
  const ns = mtimeToNs(mtime);
  let sec = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    sec -= 1n;
  }
  const micros = Number(frac / 1000n);
  return Number(sec) + (micros + 0.5) / 1e6;
}

function isZero(data: Buffer, start: number, end: number): boolean {
  return data.compare(ZEROS, 0, end - start, start, end) === 0;
}

/**
 * Writes `data` at `position` of a file that is new (reads as zeros everywhere), skipping zero runs of
 * at least MIN_HOLE_BYTES so sparse files stay sparse. Returns the file offset after the last byte
 * written (the caller truncates the file to its length when that is short of it).
 */
export async function writeSparse(fh: FileHandle, data: Buffer, position: number): Promise<number> {
  const n = data.length;
  let written = position; // file offset after the last byte written
  let dataStart = 0; // start of bytes not yet written
  let zeroStart = -1; // start of the current zero run
  const flush = async (end: number): Promise<void> => {
    if (end > dataStart) {
      await writeAll(fh, data, dataStart, end, position);
      written = position + end;
    }
  };
  // Scan blocks aligned to the file offset so holes cover whole filesystem blocks.
  let i = 0;
  while (i < n) {
    const next = Math.min(n, i + SCAN_BLOCK - ((position + i) % SCAN_BLOCK));
    if (isZero(data, i, next)) {
      if (zeroStart < 0) zeroStart = i;
    } else if (zeroStart >= 0) {
      if (i - zeroStart >= MIN_HOLE_BYTES) {
        await flush(zeroStart);
        dataStart = i;
      }
      zeroStart = -1;
    }
    i = next;
  }
  await flush(zeroStart >= 0 && n - zeroStart >= MIN_HOLE_BYTES ? zeroStart : n);
  return written;
}

async function writeAll(fh: FileHandle, data: Buffer, start: number, end: number, position: number): Promise<void> {
  let o = start;
  while (o < end) {
    const { bytesWritten } = await fh.write(data, o, end - o, position + o);
    if (bytesWritten <= 0) throw new Error('short write');
    o += bytesWritten;
  }
}

export interface AttributeOptions {
  /** chown to the stored uid/gid (only meaningful as root). */
  readonly ownership: boolean;
}

/** Sets owner, mode and times of an open file (in that order). */
export async function applyFileAttributes(fh: FileHandle, entry: DirEntry, options: AttributeOptions): Promise<void> {
  if (options.ownership) await fh.chown(entry.uid, entry.gid);
  await fh.chmod(entry.mode);
  const t = mtimeSeconds(entry.mtime);
  await fh.utimes(t, t);
}

/** Sets owner and times of a symlink itself (Linux has no symlink modes). */
export async function applySymlinkAttributes(path: string, entry: DirEntry, options: AttributeOptions): Promise<void> {
  if (options.ownership) await lchown(path, entry.uid, entry.gid);
  const t = mtimeSeconds(entry.mtime);
  await lutimes(path, t, t);
}

/** Renames `tmp` to `path`; with `replace`, an existing directory at `path` is removed first. */
export async function moveIntoPlace(tmp: string, path: string, replace: boolean): Promise<void> {
  try {
    await rename(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (replace && (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR')) {
      await rm(path, { recursive: true, force: true });
      await rename(tmp, path);
      return;
    }
    throw e;
  }
}
