// The worker-side sink of cut chunks: the content layer's preparer decides (hash -> dedup -> compress ->
// seal); this class writes new payloads into the worker's payload slots and records where they are.
import { ContentPreparer, type ContentPreparerSpec } from '../content/content-preparer.ts';
import type { ChunkSink } from './segment-chunker.ts';
import type { MutableChunkRecord, WorkerSlots } from './payload-slots.ts';
import type { ChunkRecord } from './upload-protocol.ts';

export class ChunkPreparer implements ChunkSink {
  private readonly preparer: ContentPreparer;
  private out: WorkerSlots | undefined;
  private bytesPrepared = 0;

  constructor(spec: ContentPreparerSpec) {
    this.preparer = ContentPreparer.fromSpec(spec);
  }

  beginJob(out: WorkerSlots): void {
    this.out = out;
  }

  takeBytesPrepared(): number {
    const n = this.bytesPrepared;
    this.bytesPrepared = 0;
    return n;
  }

  accept(chunk: Uint8Array): ChunkRecord {
    if (this.out === undefined) throw new Error('beginJob was not called');
    const at = this.out.reserve(this.preparer.maxPayloadLength(chunk.length));
    const prepared = this.preparer.prepareInto(chunk, this.out.buffer, at);
    if (prepared.payloadLength < 0) {
      return { contentId: prepared.contentId, length: chunk.length, payloadOffset: -1, payloadLength: 0, compressionHeaderId: 0 };
    }
    const record: MutableChunkRecord = {
      contentId: prepared.contentId, length: chunk.length, payloadOffset: at, payloadLength: prepared.payloadLength,
      compressionHeaderId: prepared.compressionHeaderId,
    };
    this.out.commit(prepared.payloadLength, record);
    this.bytesPrepared += chunk.length;
    return record;
  }
}
