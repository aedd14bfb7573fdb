// Hashing worker entry point: one per core. Receives segment jobs, returns chunk records and one payload
// buffer per job. All CPU-heavy work of a backup (splitting, keyed hashing, compression, encryption) runs
// here so the main thread stays free for walking, packing and uploading. A failure (also while setting up)
// is answered per job with its typed error (worker-error.ts).
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
/** Payload buffers returned by the main thread (all of config.payloadCapacity bytes). */
const spare: ArrayBuffer[] = [];
/** One spare is enough: the next job takes it while the main thread still packs the last one's. */
const MAX_SPARE = 1;

parentPort?.on('message', (msg: JobMessage | RecycleMessage) => {
  if (msg.type === 'recycle') {
    if (spare.length < MAX_SPARE && msg.buffer.byteLength >= config.payloadCapacity) spare.push(msg.buffer);
    return;
  }
  try {
    if ('failure' in setup) throw setup.failure;
    const { preparer, chunker } = setup;
    // Every buffer has the same capacity (a job holds at most one segment), so recycled ones always fit
    // and no job leaves a buffer of another size behind as garbage.
    const out = new PayloadBuffer(config.payloadCapacity, spare.pop());
    preparer.beginJob(out);
    const segments = msg.segments.map((seg) => chunker.run(seg, preparer));
    const payload = out.takeArrayBuffer();
    const bytesPrepared = preparer.takeBytesPrepared();
    const reply: WorkerMessage = { type: 'result', jobId: msg.jobId, segments, payload, bytesPrepared };
    // No forced GC here: the sealing path frees its per-chunk buffers itself (encryptors.ts, compressors.ts),
    // and the minor GCs this thread once forced every 16 MiB made V8 finish old-generation marking 3-4x as
    // often (12 instead of 3 mark-compacts per 256 MiB in the two workers).
    parentPort?.postMessage(reply, [payload]);
  } catch (e) {
    const reply: WorkerMessage = { type: 'fatal', jobId: msg.jobId, error: toWorkerError(e) };
    parentPort?.postMessage(reply);
  }
});
