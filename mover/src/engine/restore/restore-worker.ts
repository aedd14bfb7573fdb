// Restore writer worker: decodes the contents of a pack range (the content layer's PackRangeDecoder, built
// from the spec the pool passes in) and writes them into the files that use them with synchronous fs
// calls; finishes files (truncate, owner, mode, times, rename). Runs in a worker thread so decoding and
// small-file syscalls leave the main thread to plan and fetch. Failures go back as typed error records:
// a filesystem error is TARGET_ERROR naming the path, a content that fails to decode keeps its own code
// (CORRUPT, UNSUPPORTED), and anything else is a bug (INTERNAL with its message).
import { closeSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PackRangeDecoder } from '../content/pack-range-decoder.ts';
import { CairnError, isCairnError } from '../errors.ts';
import { toErrorRecord } from '../util/error-record.ts';
import { signalReady } from '../util/worker-ready.ts';
import { releaseBuffer } from '../util/release-buffer.ts';
import { closeQuietly, finishFileSync, moveIntoPlaceSync, openTempSync, targetError, writeSparseSync } from './restore-file-writer.ts';
import type { FinishTask, RestoreTask, RestoreWorkerSettings, SetupMessage, TaskFailure, TaskPath, TaskReply, TaskUse, WriteTask } from './restore-worker-protocol.ts';

let config: RestoreWorkerSettings;
let decoder: PackRangeDecoder | undefined;
let slots: Buffer[] = [];

/** A failure already classified (carries the file whose data failed, if any). */
class TaskError extends Error {
  readonly failure: TaskFailure;
  constructor(failure: TaskFailure) {
    super(failure.error.message);
    this.failure = failure;
  }
}

/**
 * Errors of fs system calls carry the syscall (and errno); those are the target's fault. Anything else —
 * Node's argument errors (code ERR_…) included — is a bug and passed on.
 */
function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && !isCairnError(e) && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

function writeFailure(e: unknown, path: TaskPath, operation: string): unknown {
  return isFsError(e) ? targetError(path, operation, e) : e;
}

type Reply = { ends: { file: number; end: number }[]; filesDone: number; bytesWritten: number };

function writeUses(plain: Buffer, uses: readonly TaskUse[], reply: Reply): void {
  for (const u of uses) {
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
      throw writeFailure(e, w?.path ?? u.tmp, 'write');
    }
  }
}

// The task's bytes and each decoded content are freed as soon as they are written (release-buffer.ts):
// left to the garbage collector, a writer thread held 40–60 MiB of dead ranges and plaintexts.
// A range in a shared slot is not ours to free: the main thread reuses the slot after the reply.
function runWrite(task: WriteTask, reply: Reply): void {
  const data = taskData(task);
  try {
    if (task.range === undefined) {
      for (const c of task.contents) writeUses(data.subarray(c.start, c.start + c.length), c.uses, reply);
      return;
    }
    if (decoder === undefined) {
      throw new CairnError('INTERNAL', 'restore worker got stored bytes to decode but no decoder', { hint: 'This is a bug; rerun with --debug and report it.' });
    }
    let i = 0;
    for (const r of decoder.decode(task.range, data)) {
      const c = task.contents[i++]!;
      if (r.error !== undefined) throw new TaskError({ error: toErrorRecord(r.error), file: c.uses[0]?.file });
      try {
        writeUses(r.data, c.uses, reply);
      } finally {
        // never the range itself: a plaintext that is a view of `data` (no encryption) does not own its memory
        if (r.data.buffer !== data.buffer) releaseBuffer(r.data);
      }
    }
  } finally {
    if (task.data !== undefined) releaseBuffer(new Uint8Array(task.data));
  }
}

function taskData(task: WriteTask): Buffer {
  if (task.data !== undefined) return Buffer.from(task.data, task.dataOffset, task.dataLength);
  const slot = task.slot === undefined ? undefined : slots[task.slot];
  if (slot === undefined) {
    throw new CairnError('INTERNAL', `restore worker got a task without data (slot ${task.slot})`, { hint: 'This is a bug; rerun with --debug and report it.' });
  }
  return slot.subarray(task.dataOffset, task.dataOffset + task.dataLength);
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
      throw writeFailure(e, it.path, 'finish');
    }
  }
}

/** Runs one task; failures become the reply's typed error record, never an exception. */
function runTask(task: RestoreTask): TaskReply {
  const reply = { ends: [] as { file: number; end: number }[], filesDone: 0, bytesWritten: 0 };
  let failure: TaskFailure | undefined;
  try {
    if (task.type === 'write') runWrite(task, reply);
    else runFinish(task, reply);
  } catch (e) {
    failure = e instanceof TaskError ? e.failure : { error: toErrorRecord(e) };
  }
  return { id: task.id, ...reply, failure };
}

function start(data: RestoreWorkerSettings | undefined): void {
  if (data === undefined) throw new Error('restore worker started without its settings (workerData)');
  config = data;
  parentPort?.on('message', (msg: RestoreTask | SetupMessage) => {
    if (msg.type === 'setup') {
      // the pool sends it before any task (restore-worker-pool.ts)
      // zstd frames' own checksums skipped: each content is AEAD-authenticated first (zstd-compressor.ts)
      decoder = msg.decoder === undefined ? undefined : PackRangeDecoder.fromSpec(msg.decoder, false);
      slots = (msg.slots ?? []).map((b) => Buffer.from(b));
      return;
    }
    parentPort?.postMessage(runTask(msg));
  });
  signalReady(parentPort);
}

// On the main thread this module is only compiled, for the compile cache (util/worker-modules.ts).
if (!isMainThread) start(workerData as RestoreWorkerSettings | undefined);
