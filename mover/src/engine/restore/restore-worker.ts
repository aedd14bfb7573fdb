// Restore writer worker: decodes contents of a pack range (AEAD + decompression) and writes them into the
// files that use them with synchronous fs calls; finishes files (truncate, owner, mode, times, rename).
// Runs in a worker thread so decoding and small-file syscalls leave the main thread to plan and fetch.
import { parentPort, workerData } from 'node:worker_threads';
import { createEncryptor } from '../crypto/encryptors.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { isCairnError } from '../errors.ts';
import type { ContentInfo } from '../content/content-info.ts';
import { openPackedContent } from '../content/pack-reader.ts';
import { closeQuietly, finishFileSync, moveIntoPlaceSync, openTempSync, writeSparseSync } from './restore-file-writer.ts';
import { displayPath } from '../snapshot/fs-path.ts';
import { closeSync } from 'node:fs';
import type { FinishTask, RestoreTask, RestoreWorkerConfig, TaskFailure, TaskPath, TaskReply, WriteTask } from './restore-worker-protocol.ts';

const config = workerData as RestoreWorkerConfig;
const encryptor: ContentEncryptor | undefined =
  config.decode === undefined ? undefined : createEncryptor(config.decode.encryption, config.decode.masterKey);

class TaskError extends Error {
  readonly failure: TaskFailure;
  constructor(failure: TaskFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

function targetFailure(e: unknown, file: number, path: TaskPath, operation: string): TaskError {
  if (e instanceof TaskError) return e;
  const err = e as NodeJS.ErrnoException;
  return new TaskError({ kind: 'target', message: `cannot ${operation} ${displayPath(path)}: ${err.message}`, file, code: err.code });
}

function runWrite(task: WriteTask, reply: { ends: { file: number; end: number }[]; filesDone: number; bytesWritten: number }): void {
  const data = Buffer.from(task.data, task.dataOffset, task.dataLength);
  for (const c of task.contents) {
    let plain: Buffer = data.subarray(c.start, c.start + c.length);
    if (c.info !== undefined) {
      try {
        plain = openPackedContent(plain, { ...c.info, timestampSeconds: 0, deleted: false, formatVersion: 2 } satisfies ContentInfo, encryptor!);
      } catch (e) {
        throw new TaskError({ kind: 'data', message: e instanceof Error ? e.message : String(e), file: c.uses[0]?.file, code: isCairnError(e) ? e.code : undefined });
      }
      if (plain.length !== c.info.originalLength) {
        throw new TaskError({
          kind: 'data',
          message: `content ${c.info.contentId} decoded to ${plain.length} bytes, expected ${c.info.originalLength}`,
          file: c.uses[0]?.file,
          code: 'CORRUPT',
        });
      }
    }
    for (const u of c.uses) {
      const w = u.whole;
      let fd = -1;
      try {
        fd = openTempSync(u.tmp, w !== undefined);
        const end = writeSparseSync(fd, plain, u.offset);
        if (w !== undefined) {
          finishFileSync(fd, w.length, end, w.attrs, config.ownership);
          closeSync(fd);
          fd = -1;
          moveIntoPlaceSync(u.tmp, w.path, config.overwrite);
          reply.filesDone++;
        } else {
          closeSync(fd);
          fd = -1;
          reply.ends.push({ file: u.file, end });
        }
        reply.bytesWritten += plain.length;
      } catch (e) {
        if (fd >= 0) closeQuietly(fd);
        throw targetFailure(e, u.file, w?.path ?? u.tmp, 'write');
      }
    }
  }
}

function runFinish(task: FinishTask, reply: { filesDone: number }): void {
  for (const it of task.items) {
    let fd = -1;
    try {
      fd = openTempSync(it.tmp, it.create);
      finishFileSync(fd, it.length, it.written, it.attrs, config.ownership);
      closeSync(fd);
      fd = -1;
      moveIntoPlaceSync(it.tmp, it.path, config.overwrite);
      reply.filesDone++;
    } catch (e) {
      if (fd >= 0) closeQuietly(fd);
      throw targetFailure(e, it.file, it.path, 'finish');
    }
  }
}

parentPort?.on('message', (task: RestoreTask) => {
  const reply = { id: task.id, ends: [] as { file: number; end: number }[], filesDone: 0, bytesWritten: 0 };
  let failure: TaskFailure | undefined;
  try {
    if (task.type === 'write') runWrite(task, reply);
    else runFinish(task, reply);
  } catch (e) {
    failure = e instanceof TaskError ? e.failure : { kind: 'target', message: e instanceof Error ? e.message : String(e) };
  }
  const msg: TaskReply = { ...reply, failure };
  parentPort?.postMessage(msg);
});
