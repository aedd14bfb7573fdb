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
/** Payload buffers returned by the main thread, largest last. */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 1;

parentPort?.on('message', (msg: JobMessage | RecycleMessage) => {
  if (msg.type === 'recycle') {
    if (spare.length < MAX_SPARE) {
      spare.push(msg.buffer);
      spare.sort((a, b) => a.byteLength - b.byteLength);
    }
    return;
  }
  try {
    if ('failure' in setup) throw setup.failure;
    const { preparer, chunker } = setup;
    const total = msg.segments.reduce((n, s) => n + s.length, 0);
    // Worst case a chunk grows by the AEAD overhead and a compression header.
    const want = Math.min(total + total / 64 + 4096, 64 * 1024 * 1024);
    const i = spare.findIndex((b) => b.byteLength >= want);
    const out = new PayloadBuffer(want, i >= 0 ? spare.splice(i, 1)[0] : undefined);
    preparer.beginJob(out);
    const segments = msg.segments.map((seg) => chunker.run(seg, preparer));
    const payload = out.takeArrayBuffer();
    const reply: WorkerMessage = { type: 'result', jobId: msg.jobId, segments, payload, bytesPrepared: preparer.takeBytesPrepared() };
    parentPort?.postMessage(reply, [payload]);
  } catch (e) {
    const reply: WorkerMessage = { type: 'fatal', jobId: msg.jobId, error: toWorkerError(e) };
    parentPort?.postMessage(reply);
  }
});
