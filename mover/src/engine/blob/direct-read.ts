// Reads a range of a blob with O_DIRECT into page-aligned memory: the disk's bytes land in the caller's
// buffer without passing through the page cache. Restore reads every pack range this way (into its range
// slots, range-slots.ts): a pack is read once per restore, so a page-cache copy only costs. On this
// project's VMs every page-cache page a read takes is fresh memory the host must fault in (direct-write.ts
// says why): reading the shared dataset's 31 packs (649 MB, 4 MiB reads) from disk took 485 ms with 163 ms
// of system time through the page cache, 340 ms with 24 ms with O_DIRECT; from the page cache, 136 ms with
// 129 ms of system time for the copy. In a mover pod it also keeps the packs read out of the pod's memory
// cgroup, as the writes are.
//
// O_DIRECT needs the file offset, length and buffer address aligned, so the read covers whole blocks: from
// the block holding the range's first byte to the end of the block holding its last, and the range is a view
// `head` bytes into the buffer.
import type { FileHandle } from 'node:fs/promises';
import { DIRECT_ALIGN } from './direct-write.ts';

export interface DirectSpan {
  /** File offset of the first block read. */
  readonly start: number;
  /** Bytes before the range in that block (where the range starts in the buffer). */
  readonly head: number;
  /** Bytes read: whole blocks, at least head + the range's length. */
  readonly length: number;
}

/** The blocks an O_DIRECT read of `length` bytes at `offset` covers. */
export function directSpan(offset: number, length: number): DirectSpan {
  const head = offset % DIRECT_ALIGN;
  return { start: offset - head, head, length: Math.ceil((head + length) / DIRECT_ALIGN) * DIRECT_ALIGN };
}

/**
 * Reads bytes [offset, offset + length) of `fh` (opened with O_DIRECT) into `into` (page-aligned, at least
 * directSpan(offset, length).length bytes) and returns the view of them, or undefined when the file ends
 * before the range does. Throws what the filesystem throws; EINVAL (isDirectIoRefused) means the range must be
 * read again through the page cache.
 */
export async function readDirect(fh: FileHandle, into: Uint8Array, offset: number, length: number): Promise<Buffer | undefined> {
  const span = directSpan(offset, length);
  const need = span.head + length;
  let done = 0;
  while (done < need) {
    // a short read mid-file leaves `done` unaligned and the next read fails with EINVAL: read buffered then
    const { bytesRead } = await fh.read(into, done, span.length - done, span.start + done);
    if (bytesRead === 0) return undefined;
    done += bytesRead;
  }
  return Buffer.from(into.buffer, into.byteOffset + span.head, length);
}
