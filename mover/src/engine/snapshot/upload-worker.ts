// Hashing worker entry point: one per core. Receives segment jobs, returns chunk records and one payload
// buffer per job. All CPU-heavy work of a backup (splitting, keyed hashing, compression, encryption) runs
// here so the main thread stays free for walking, packing and uploading.
import { parentPort, workerData } from 'node:worker_threads';
import { PayloadBuffer } from './payload-buffer.ts';
import { SegmentChunker } from './segment-chunker.ts';
import { createChunkPreparer } from './chunk-preparer.ts';
import type { JobMessage, WorkerConfig, WorkerMessage } from './upload-protocol.ts';

const config = workerData as WorkerConfig;
const preparer = createChunkPreparer(config);
const chunker = new SegmentChunker(preparer.splitter, config.readBufferSize);

parentPort?.on('message', (msg: JobMessage) => {
  try {
    const total = msg.segments.reduce((n, s) => n + s.length, 0);
    const out = new PayloadBuffer(Math.min(total + total / 64 + 4096, 64 * 1024 * 1024));
    preparer.beginJob(out);
    const segments = msg.segments.map((seg) => chunker.run(seg, preparer));
    const payload = out.takeArrayBuffer();
    const reply: WorkerMessage = { type: 'result', jobId: msg.jobId, segments, payload, bytesPrepared: preparer.takeBytesPrepared() };
    parentPort?.postMessage(reply, [payload]);
  } catch (e) {
    const reply: WorkerMessage = { type: 'fatal', jobId: msg.jobId, message: e instanceof Error ? e.message : String(e) };
    parentPort?.postMessage(reply);
  }
});
