// Messages between the uploader (main thread) and its hashing workers. Workers read file segments with
// large synchronous reads, cut them with the content-defined splitter, hash each chunk, and compress +
// encrypt only chunks the repository does not have yet. Payloads are written into the worker's payload slots,
// SharedArrayBuffers the main thread reads them from (no per-chunk allocation or copy across the thread
// boundary); a job whose payloads outgrow a slot hands the full one over in a part message and goes on in
// another (payload-slots.ts). Messages name a slot by number, so each buffer crosses only once, and the main
// thread hands a slot back through shared memory (the slot states). Failures carry their typed error
// (worker-error.ts).
import type { ContentPreparerSpec } from '../content/content-preparer.ts';
import type { WorkerError } from './worker-error.ts';

export interface WorkerConfig {
  /** From the content layer (repo.contents.preparerSpec): hash, seal, compression and the existing IDs. */
  readonly preparer: ContentPreparerSpec;
  readonly splitter: string;
  readonly readBufferSize: number;
  /** Size of every payload slot (a slot grows only for a chunk whose payload alone does not fit). */
  readonly payloadCapacity: number;
  /** Payload slots per worker: a worker that has them all in use waits until the main thread frees one. */
  readonly payloadSlots: number;
}

/** What each worker starts with: the shared config and its own slot states (payload-slots.ts). */
export interface WorkerData extends WorkerConfig {
  /** Int32 [generation, state of slot 0, slot 1, ...]: 1 while the worker fills or the main thread reads it. */
  readonly slotStates: SharedArrayBuffer;
}

export interface SegmentJob {
  /** Caller's key for the file this segment belongs to. */
  readonly fileKey: number;
  /** Bytes when a name on the way is not valid UTF-8 (fs-path.ts). */
  readonly path: string | Uint8Array;
  readonly offset: number;
  readonly length: number;
  /** What the walk's lstat saw; the worker reports the segment as changed when the open file differs. */
  readonly expect?: { readonly size: bigint; readonly mtimeNs: bigint; readonly ino: bigint };
}

export interface JobMessage {
  readonly type: 'job';
  readonly jobId: number;
  readonly segments: readonly SegmentJob[];
}

export interface ChunkRecord {
  readonly contentId: string;
  /** Uncompressed length. */
  readonly length: number;
  /**
   * Offset of the encrypted payload in the result's payload slot; -1 when there is none to store: the content
   * already exists, or its payload went to the main thread earlier, in a part message.
   */
  readonly payloadOffset: number;
  readonly payloadLength: number;
  readonly compressionHeaderId: number;
}

export interface SegmentError {
  readonly errno: string; // e.g. ENOENT, EACCES, EIO
  readonly message: string;
}

export interface SegmentResult {
  readonly fileKey: number;
  readonly offset: number;
  readonly bytesRead: number;
  readonly chunks: readonly ChunkRecord[];
  readonly error?: SegmentError;
  /** The file was not what the walk saw (another inode, size or mtime) or ended early: it changed while read. */
  readonly changed?: boolean;
}

export interface JobResult {
  readonly type: 'result';
  readonly jobId: number;
  readonly segments: readonly SegmentResult[];
  /** The worker's payload slot holding this job's payloads (ChunkRecord.payloadOffset is into it). */
  readonly slot: number;
  /**
   * The slot's buffer, sent with the first result that uses it (or after the slot had to grow). Sending a
   * buffer makes a new ArrayBuffer object on the other side, which V8 counts as new external memory: a
   * transferred 17 MiB buffer per job started a full mark-compact on the main thread every few jobs.
   */
  readonly buffer?: SharedArrayBuffer;
  /** Bytes compressed+encrypted by this job (for progress). */
  readonly bytesPrepared: number;
}

/** A full payload slot of a job still running: store its contents, then free the slot. */
export interface JobPart {
  readonly type: 'part';
  readonly jobId: number;
  readonly slot: number;
  /** The slot's buffer, when the main thread has not seen it yet (as JobResult.buffer). */
  readonly buffer?: SharedArrayBuffer;
  /** The contents whose payloads are in the slot (payloadOffset into it). */
  readonly contents: readonly ChunkRecord[];
}

export interface WorkerFailure {
  readonly type: 'fatal';
  readonly jobId: number;
  readonly error: WorkerError;
}

export type WorkerMessage = JobResult | JobPart | WorkerFailure;
