// Filesystem side of restore: sparse writes, attributes in the safe order (owner, then mode — chown
// clears setuid/setgid — then times), atomic replacement and TARGET_ERROR reporting. File data is written
// by restore workers with synchronous calls (one libuv round trip per call costs more than the call
// itself on small files); the async variants serve the main thread's rare paths.
// Times go through utimeArg (utime-arg.ts): exact to the microsecond, before 1970 too.
import {
  closeSync,
  fchmodSync,
  fchownSync,
  ftruncateSync,
  futimesSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
  constants as fsConstants,
} from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CairnError } from '../errors.ts';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { displayPath, fsPath, type AnyPath } from '../snapshot/fs-path.ts';
import { utimeArg } from './utime-arg.ts';

/** Zero runs shorter than this are written as data (keeps writes large; holes form per fs block). */
export const MIN_HOLE_BYTES = 32 * 1024;
const SCAN_BLOCK = 4096;
const ZEROS = Buffer.alloc(SCAN_BLOCK);

/** What a restored file gets after its data: owner (optional), mode, mtime (utimeArg). */
export interface FileAttributes {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: string;
}

export function targetError(path: AnyPath, operation: string, cause: unknown): CairnError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CairnError('TARGET_ERROR', `cannot ${operation} ${displayPath(path)}: ${detail}`, {
    cause,
    hint: 'Check that the restore target is writable and has free space.',
  });
}

/** A write that made no progress: the target's fault (an errno-style error, reported as TARGET_ERROR). */
function shortWrite(): NodeJS.ErrnoException {
  return Object.assign(new Error('short write'), { code: 'EIO', syscall: 'write' });
}

let lastMtime = '';
let lastArg = '';

export function fileAttributes(entry: DirEntry): FileAttributes {
  // Many files of a tree share an mtime; skip re-parsing the same text.
  if (entry.mtime !== lastMtime) {
    lastArg = utimeArg(entry.mtime);
    lastMtime = entry.mtime;
  }
  return { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: lastArg };
}

function isZero(data: Uint8Array, start: number, end: number): boolean {
  // a block of real data nearly always has a non-zero byte at one end: decided without a comparison call
  if (data[start] !== 0 || data[end - 1] !== 0) return false;
  return ZEROS.compare(data, start, end, 0, end - start) === 0;
}

/**
 * The [start, end) ranges of `data` to write when it lands at file offset `position` of a new file:
 * zero runs of at least MIN_HOLE_BYTES are left out (they become holes), scanning blocks aligned to the
 * file offset so holes cover whole filesystem blocks.
 */
export function dataSegments(data: Uint8Array, position: number): [number, number][] {
  const n = data.length;
  // too short to hold a hole (most files of a tree): no scan. A restore scanned every 4 KiB block of every
  // chunk with two views and a comparison each: ~60 ms of each writer thread's CPU on the shared dataset.
  if (n < MIN_HOLE_BYTES) return n > 0 ? [[0, n]] : [];
  const out: [number, number][] = [];
  let dataStart = 0;
  let zeroStart = -1;
  let i = 0;
  while (i < n) {
    const next = Math.min(n, i + SCAN_BLOCK - ((position + i) % SCAN_BLOCK));
    if (isZero(data, i, next)) {
      if (zeroStart < 0) zeroStart = i;
    } else if (zeroStart >= 0) {
      if (i - zeroStart >= MIN_HOLE_BYTES) {
        if (zeroStart > dataStart) out.push([dataStart, zeroStart]);
        dataStart = i;
      }
      zeroStart = -1;
    }
    i = next;
  }
  const end = zeroStart >= 0 && n - zeroStart >= MIN_HOLE_BYTES ? zeroStart : n;
  if (end > dataStart) out.push([dataStart, end]);
  return out;
}

/** Sparse write into a new file; returns the file offset after the last byte written (≥ position). */
export function writeSparseSync(fd: number, data: Uint8Array, position: number): number {
  let written = position;
  for (const [s, e] of dataSegments(data, position)) {
    let o = s;
    while (o < e) {
      const n = writeSync(fd, data, o, e - o, position + o);
      if (n <= 0) throw shortWrite();
      o += n;
    }
    written = position + e;
  }
  return written;
}

/** Async variant of writeSparseSync for a FileHandle. */
export async function writeSparse(fh: FileHandle, data: Buffer, position: number): Promise<number> {
  let written = position;
  for (const [s, e] of dataSegments(data, position)) {
    let o = s;
    while (o < e) {
      const { bytesWritten } = await fh.write(data, o, e - o, position + o);
      if (bytesWritten <= 0) throw shortWrite();
      o += bytesWritten;
    }
    written = position + e;
  }
  return written;
}

/** Truncates to `length` when the data written ends short of it, then owner, mode, times. */
export function finishFileSync(fd: number, length: number, written: number, attrs: FileAttributes, ownership: boolean): void {
  if (written < length) ftruncateSync(fd, length);
  if (ownership) fchownSync(fd, attrs.uid, attrs.gid);
  fchmodSync(fd, attrs.mode);
  futimesSync(fd, attrs.mtime, attrs.mtime);
}

/** Async variant of finishFileSync. */
export async function finishFile(fh: FileHandle, length: number, written: number, attrs: FileAttributes, ownership: boolean): Promise<void> {
  if (written < length) await fh.truncate(length);
  if (ownership) await fh.chown(attrs.uid, attrs.gid);
  await fh.chmod(attrs.mode);
  await fh.utimes(attrs.mtime, attrs.mtime);
}

/**
 * Opens a temp file for data: `exclusive` creates it (fails if present), otherwise creates or reuses it.
 * Never through a symlink (O_NOFOLLOW; O_EXCL refuses any existing name).
 */
export function openTempSync(path: AnyPath, exclusive: boolean): number {
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW | (exclusive ? fsConstants.O_EXCL : 0);
  return openSync(fsPath(path), flags, 0o600);
}

function isReplaceable(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR';
}

/** Renames `tmp` to `path`; with `replace`, an existing directory at `path` is removed first. */
export function moveIntoPlaceSync(tmp: AnyPath, path: AnyPath, replace: boolean): void {
  const [from, to] = [fsPath(tmp), fsPath(path)];
  try {
    renameSync(from, to);
  } catch (e) {
    if (!replace || !isReplaceable(e)) throw e;
    rmSync(to, { recursive: true, force: true });
    renameSync(from, to);
  }
}

/** Async variant of moveIntoPlaceSync. */
export async function moveIntoPlace(tmp: AnyPath, path: AnyPath, replace: boolean): Promise<void> {
  const [from, to] = [fsPath(tmp), fsPath(path)];
  try {
    await rename(from, to);
  } catch (e) {
    if (!replace || !isReplaceable(e)) throw e;
    await rm(to, { recursive: true, force: true });
    await rename(from, to);
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already failing; the first error is the one reported
  }
}
