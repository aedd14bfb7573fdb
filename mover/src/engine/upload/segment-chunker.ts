// Reads one segment of a file with large positional reads into a reused window, cuts it into chunks with a
// content-defined splitter and hands each chunk to a preparer. Runs inside hashing workers.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fsPath } from '../snapshot/fs-path.ts';
import { PAGE_BYTES, pageAlignedBuffer } from '../util/page-aligned-buffer.ts';
import type { ChunkRecord, SegmentJob, SegmentResult } from './upload-protocol.ts';

/** The incremental splitter contract (object layer): returns the exclusive end index of the next chunk, or -1. */
export interface ChunkSplitter {
  readonly maxSize: number;
  reset(): void;
  next(data: Uint8Array, start: number, end: number): number;
}

/**
 * The most one read takes, however much room the window has. The splitter scans what a read brought while it
 * is still in the core's cache, and the chunk it ends is hashed and sealed from the shared L3 (32 MiB here,
 * for both workers). Filling the whole 16 MiB window in one read wrote it out to memory before the first
 * scan and streamed every byte from memory three more times: 2 GiB of random data, first backup, median
 * wall 5.77 -> 5.60 s and CPU 9.15 -> 9.05 s over 8 alternated runs (A/B 0.95); 256 KiB reads were slower again.
 */
const READ_PIECE = 1024 * 1024;

export interface ChunkSink {
  accept(chunk: Uint8Array): ChunkRecord;
}

export class SegmentChunker {
  private window: Buffer;
  /**
   * Whether window index i is at a page boundary when i is. Then every read lands at an index congruent to its
   * file offset modulo the page size, the case the kernel copies fast (page-aligned-buffer.ts): 2 GiB of random
   * data, first backup, worker read time 0.95 -> 0.15 s per GiB (profiled).
   */
  private readonly aligned: boolean;
  private readonly splitter: ChunkSplitter;

  constructor(splitter: ChunkSplitter, readBufferSize: number) {
    this.splitter = splitter;
    // The window must hold a full max-size chunk plus a read's worth of new data, after up to a page of
    // alignment offset.
    const size = splitter.maxSize + Math.max(64 * 1024, readBufferSize) + PAGE_BYTES;
    const aligned = pageAlignedBuffer(size);
    this.aligned = aligned !== undefined;
    this.window = aligned ?? Buffer.allocUnsafeSlow(size);
  }

  /** Where in the window a byte at file offset `position` goes when it is the first one kept there. */
  private home(position: number): number {
    return this.aligned ? position % PAGE_BYTES : 0;
  }

  run(job: SegmentJob, sink: ChunkSink): SegmentResult {
    const chunks: ChunkRecord[] = [];
    let fd: number;
    try {
      fd = openSync(fsPath(job.path), 'r');
    } catch (e) {
      return { fileKey: job.fileKey, offset: job.offset, bytesRead: 0, chunks, error: errorOf(e) };
    }
    let bytesRead = 0;
    try {
      this.splitter.reset();
      const win = this.window;
      let filled = this.home(job.offset); // end of the bytes valid in window
      let chunkStart = filled; // start of the current (unfinished) chunk in window
      let scan = filled; // end of the bytes of window already fed to the splitter
      let remaining = job.length;
      let eof = false;
      while (!eof || scan < filled) {
        if (!eof && filled < win.length) {
          const want = Math.min(win.length - filled, remaining, READ_PIECE);
          const n = want > 0 ? readSync(fd, win, filled, want, job.offset + bytesRead) : 0;
          filled += n;
          bytesRead += n;
          remaining -= n;
          if (n === 0 || remaining === 0) eof = true;
        }
        let cut = this.splitter.next(win, scan, filled);
        while (cut >= 0) {
          chunks.push(sink.accept(win.subarray(chunkStart, cut)));
          chunkStart = cut;
          cut = this.splitter.next(win, cut, filled);
        }
        scan = filled;
        if (eof) break;
        if (filled === win.length) {
          // Slide the unfinished chunk to the front to make room for the next read (keeping its page offset).
          const to = this.home(chunkStart);
          win.copyWithin(to, chunkStart, filled);
          filled -= chunkStart - to;
          scan -= chunkStart - to;
          chunkStart = to;
        }
      }
      if (chunkStart < filled || (chunks.length === 0 && job.offset === 0)) {
        // The tail of the segment (or an empty file: the content of zero bytes).
        chunks.push(sink.accept(win.subarray(chunkStart, filled)));
      }
      return { fileKey: job.fileKey, offset: job.offset, bytesRead, chunks, changed: changedWhileRead(fd, job, bytesRead) };
    } catch (e) {
      // Only the file's own errors make the segment fail; anything else (the preparer's typed errors, bugs)
      // fails the job. The chunks prepared before the error stay in the result: the main thread stores them,
      // because the preparer counts them as present from now on (a later identical chunk sends no payload).
      if (!isFileError(e)) throw e;
      return { fileKey: job.fileKey, offset: job.offset, bytesRead, chunks, error: errorOf(e) };
    } finally {
      closeSync(fd);
    }
  }
}

/** One fstat after the read: did the file the walk saw change (or get replaced) while we read it? */
function changedWhileRead(fd: number, job: SegmentJob, bytesRead: number): boolean {
  if (bytesRead < job.length) return true;
  if (job.expect === undefined) return false;
  const st = fstatSync(fd, { bigint: true });
  return st.ino !== job.expect.ino || st.size !== job.expect.size || st.mtimeNs !== job.expect.mtimeNs;
}

/** An error of a filesystem call (it names its syscall), not of the code around it. */
function isFileError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

function errorOf(e: unknown): { errno: string; message: string } {
  const err = e as NodeJS.ErrnoException;
  return { errno: typeof err.code === 'string' ? err.code : 'EIO', message: err.message ?? String(e) };
}
