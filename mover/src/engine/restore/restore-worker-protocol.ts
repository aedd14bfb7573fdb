// Messages between restore and its writer workers (restore-worker.ts). A write task carries one pack
// range (or already-decoded bytes) and, per content, every file offset to write it to; a finish task
// completes multi-chunk files and creates empty ones. Workers reply per task.
import type { FileAttributes } from './restore-file-writer.ts';
import type { AnyPath } from '../snapshot/fs-path.ts';

/** A path as the worker gets it: a string, or bytes (a Buffer arrives as a Uint8Array) for non-UTF-8 names. */
export type TaskPath = AnyPath;

export interface RestoreWorkerConfig {
  /** Decode in the worker: content encryption algorithm and master key (else tasks carry plain bytes). */
  readonly decode?: { readonly encryption: string; readonly masterKey: Uint8Array } | undefined;
  readonly ownership: boolean;
  readonly overwrite: boolean;
}

/** Index fields the worker needs to decode a content (content-info.ts subset). */
export interface TaskContentInfo {
  readonly contentId: string;
  readonly packBlobId: string;
  readonly packOffset: number;
  readonly packedLength: number;
  readonly originalLength: number;
  readonly compressionHeaderId: number;
  readonly encryptionKeyId: number;
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
  /** Where the content's bytes are in the task's data. */
  readonly start: number;
  readonly length: number;
  /** Present when the worker decodes. */
  readonly info?: TaskContentInfo | undefined;
  readonly uses: readonly TaskUse[];
}

export interface WriteTask {
  readonly type: 'write';
  readonly id: number;
  readonly data: ArrayBuffer;
  readonly dataOffset: number;
  readonly dataLength: number;
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
  /** 'target' = a filesystem error on `path`; 'data' = a content failed to decode. */
  readonly kind: 'target' | 'data';
  readonly message: string;
  readonly file?: number | undefined;
  readonly code?: string | undefined;
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
