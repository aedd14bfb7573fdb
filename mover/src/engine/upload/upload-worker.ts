// Hashing worker entry point: one per core. Receives segment jobs, returns chunk records and the number of
// the payload slot holding the job's new payloads. All CPU-heavy work of a backup (splitting, keyed hashing,
// compression, encryption) runs here so the main thread stays free for walking, packing and uploading. A
// failure (also while setting up) is answered per job with its typed error (worker-error.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { createSplitter } from '../object/splitter-factory.ts';
import { PayloadBuffer } from './payload-buffer.ts';
import { SegmentChunker } from './segment-chunker.ts';
import { ChunkPreparer } from './chunk-preparer.ts';
import { toWorkerError } from './worker-error.ts';
import type { JobMessage, RecycleMessage, WorkerConfig, WorkerMessage } from './upload-protocol.ts';

const config = workerData as WorkerConfig;
let setup: { preparer: ChunkPreparer; chunker: SegmentChunker } | { failure: unknown };
try {
  const preparer = new ChunkPreparer(config.preparer);
  setup = { preparer, chunker: new SegmentChunker(createSplitter(config.splitter), config.readBufferSize) };
} catch (e) {
  setup = { failure: e };
}
/**
 * This worker's payload slots, each config.payloadCapacity bytes of shared memory (zero pages until written).
 * There are as many as the worker's jobs the main thread has not packed yet at most, which the uploader
 * bounds; a slot comes back with a recycle message, and the next job reuses its pages.
 */
const slots: SharedArrayBuffer[] = [];
/** Which slots the main thread knows the buffer of (sent once; after a growth, again). */
const sent: boolean[] = [];
const free: number[] = [];

function takeSlot(): number {
  const slot = free.pop();
  if (slot !== undefined) return slot;
  slots.push(new SharedArrayBuffer(config.payloadCapacity));
  sent.push(false);
  return slots.length - 1;
}

parentPort?.on('message', (msg: JobMessage | RecycleMessage) => {
  if (msg.type === 'recycle') {
    free.push(msg.slot);
    return;
  }
  const slot = takeSlot();
  try {
    if ('failure' in setup) throw setup.failure;
    const { preparer, chunker } = setup;
    const out = new PayloadBuffer(slots[slot]!);
    preparer.beginJob(out);
    const segments = msg.segments.map((seg) => chunker.run(seg, preparer));
    if (out.shared !== slots[slot]) {
      // a job's payloads outgrew the slot (a job holds at most one segment, so only if the sizes are off)
      slots[slot] = out.shared;
      sent[slot] = false;
    }
    const buffer = sent[slot] === true ? undefined : slots[slot];
    sent[slot] = true;
    const bytesPrepared = preparer.takeBytesPrepared();
    const reply: WorkerMessage = { type: 'result', jobId: msg.jobId, segments, slot, bytesPrepared, ...(buffer === undefined ? {} : { buffer }) };
    // No forced GC here: the sealing path frees its per-chunk buffers itself (encryptors.ts, compressors.ts),
    // and the minor GCs this thread once forced every 16 MiB made V8 finish old-generation marking 3-4x as
    // often (12 instead of 3 mark-compacts per 256 MiB in the two workers).
    parentPort?.postMessage(reply);
  } catch (e) {
    free.push(slot);
    const reply: WorkerMessage = { type: 'fatal', jobId: msg.jobId, error: toWorkerError(e) };
    parentPort?.postMessage(reply);
  }
});
