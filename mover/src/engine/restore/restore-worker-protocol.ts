// Messages between restore and its writer workers (restore-worker.ts). A write task carries (or names the
// shared slot of, range-slots.ts) one pack range's stored bytes (decoded by the worker with the content layer's decoder) or already-decoded bytes
// and, per content, every file offset to write it to; a finish task completes multi-chunk files and
// creates empty ones. Workers reply per task; a failure travels as a typed error record (code, hint,
// retryable) and is rebuilt as the same CairnError on the main thread.
import type { PackDecoderSpec, PackRange } from '../content/pack-contents-reader.ts';
import type { ErrorRecord } from '../util/error-record.ts';
import type { FileAttributes } from './restore-file-writer.ts';
import type { AnyPath } from '../snapshot/fs-path.ts';

/** A path as the worker gets it: a string, or bytes (a Buffer arrives as a Uint8Array) for non-UTF-8 names. */
export type TaskPath = AnyPath;

/** What a writer knows from the start (workerData): the restore's own options. */
export interface RestoreWorkerSettings {
  readonly ownership: boolean;
  readonly overwrite: boolean;
}

/**
 * What a writer learns from the open repository, in the first message it gets (before any task): so its
 * thread can start, and load its modules, while the repository opens.
 */
export interface RestoreWorkerSetup {
  /** Decode in the worker (the content layer's spec, opaque here); undefined: tasks carry plain bytes. */
  readonly decoder?: PackDecoderSpec | undefined;
  /** The range slots' memory (range-slots.ts), shared once: a task names its slot instead of carrying bytes. */
  readonly slots?: readonly SharedArrayBuffer[] | undefined;
}

export interface SetupMessage extends RestoreWorkerSetup {
  readonly type: 'setup';
}

export interface TaskUse {
  /** Job number on the main side. */
  readonly file: number;
  readonly offset: number;
  readonly tmp: TaskPath;
  /** Single-chunk file: create, write, finish and rename in one go. */
  readonly whole?: { readonly path: TaskPath; readonly length: number; readonly attrs: FileAttributes } | undefined;
}

export interface TaskContent {
  /** Where the content's plain bytes are in the task's data (when the task has no `range`). */
  readonly start: number;
  readonly length: number;
  readonly uses: readonly TaskUse[];
}

export interface WriteTask {
  readonly type: 'write';
  readonly id: number;
  /** The bytes, transferred with the task; or `slot`: they are in that range slot. */
  readonly data?: ArrayBuffer | undefined;
  readonly slot?: number | undefined;
  readonly dataOffset: number;
  readonly dataLength: number;
  /** Set when `data` is this range's stored bytes and the worker decodes: contents[i] is range.contents[i]. */
  readonly range?: PackRange | undefined;
  readonly contents: readonly TaskContent[];
}

export interface FinishItem {
  readonly file: number;
  readonly tmp: TaskPath;
  readonly path: TaskPath;
  readonly length: number;
  /** File offset after the last byte written so far (truncate when short of length). */
  readonly written: number;
  readonly attrs: FileAttributes;
  /** Create the file first (empty files). */
  readonly create: boolean;
}

export interface FinishTask {
  readonly type: 'finish';
  readonly id: number;
  readonly items: readonly FinishItem[];
}

export type RestoreTask = WriteTask | FinishTask;

export interface TaskFailure {
  /** The typed error (TARGET_ERROR naming the path, CORRUPT/UNSUPPORTED for content data, INTERNAL for a bug). */
  readonly error: ErrorRecord;
  /** The job whose data failed to decode (its file is named in the message on the main side). */
  readonly file?: number | undefined;
}

export interface TaskReply {
  readonly id: number;
  readonly failure?: TaskFailure | undefined;
  /** Per multi-chunk use: the file offset after the last byte written. */
  readonly ends: readonly { readonly file: number; readonly end: number }[];
  /** Files completed (renamed into place) by this task. */
  readonly filesDone: number;
  readonly bytesWritten: number;
}
