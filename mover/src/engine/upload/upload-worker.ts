// Hashing worker entry point: one per core. Receives segment jobs, returns chunk records and the number of
// the payload slot holding the job's new payloads (slots it filled before go earlier, in parts). All CPU-heavy
// work of a backup (splitting, keyed hashing, compression, encryption) runs here so the main thread stays free
// for walking, packing and uploading. A failure (also while setting up) is answered per job with its typed
// error (worker-error.ts).
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createSplitter } from '../object/splitter-factory.ts';
import { WorkerSlots } from './payload-slots.ts';
import { SegmentChunker } from './segment-chunker.ts';
import { ChunkPreparer } from './chunk-preparer.ts';
import { toWorkerError } from './worker-error.ts';
import { signalReady } from '../util/worker-ready.ts';
import type { JobMessage, WorkerData, WorkerMessage } from './upload-protocol.ts';

function start(config: WorkerData): void {
  let setup: { preparer: ChunkPreparer; chunker: SegmentChunker } | { failure: unknown };
  try {
    const preparer = new ChunkPreparer(config.preparer);
    setup = { preparer, chunker: new SegmentChunker(createSplitter(config.splitter), config.readBufferSize) };
  } catch (e) {
    setup = { failure: e };
  }
  /**
   * This worker's payload slots (payload-slots.ts): config.payloadSlots of config.payloadCapacity bytes of shared
   * memory at most (zero pages until written); a job that fills one hands it over and goes on in the next.
   */
  const slots = new WorkerSlots(config.payloadCapacity, config.payloadSlots, config.slotStates, (part) => parentPort?.postMessage(part));

  parentPort?.on('message', (msg: JobMessage) => {
    try {
      if ('failure' in setup) throw setup.failure;
      const { preparer, chunker } = setup;
      slots.begin(msg.jobId);
      preparer.beginJob(slots);
      const segments = msg.segments.map((seg) => chunker.run(seg, preparer));
      const { slot, buffer } = slots.finish();
      const bytesPrepared = preparer.takeBytesPrepared();
      const reply: WorkerMessage = { type: 'result', jobId: msg.jobId, segments, slot, bytesPrepared, ...(buffer === undefined ? {} : { buffer }) };
      // No forced GC here: the sealing path frees its per-chunk buffers itself (encryptors.ts, compressors.ts),
      // and the minor GCs this thread once forced every 16 MiB made V8 finish old-generation marking 3-4x as
      // often (12 instead of 3 mark-compacts per 256 MiB in the two workers).
      parentPort?.postMessage(reply);
    } catch (e) {
      slots.abandon();
      const reply: WorkerMessage = { type: 'fatal', jobId: msg.jobId, error: toWorkerError(e) };
      parentPort?.postMessage(reply);
    }
  });

  signalReady(parentPort);
}

// On the main thread this module is only compiled, for the compile cache (util/worker-modules.ts).
if (!isMainThread) start(workerData as WorkerData);
