// A hashing worker's payload slots: a few fixed SharedArrayBuffers its sealed payloads are written into, which the
// main thread packs from where they are. A job fills one slot; when the next payload would not fit, the full slot
// goes to the main thread in a part message (upload-protocol.ts JobPart) and the job goes on in another, so a
// slot is a few MiB however large the job (a 16 MiB segment of an incompressible file used to need a 17 MiB slot,
// and a worker kept up to four of them).
//
// Who holds a slot is in shared memory, not in messages: an Int32Array of [generation, state of slot 0, ...],
// 1 while the worker fills the slot or the main thread reads it, 0 when free. The worker takes a free slot, or
// makes one while it has fewer than its limit, or else blocks in Atomics.wait until the main thread frees one
// (it cannot take a message in the middle of a job: the job runs synchronously). The main thread frees a slot
// with freeSlot() once the slot's payloads are in packs.
import { PayloadBuffer } from './payload-buffer.ts';
import type { ChunkRecord, JobPart } from './upload-protocol.ts';

const FREE = 0;
const IN_USE = 1;
/** Wakes the waiting worker now and then even without a notify, so a terminated pool never leaves it stuck. */
const WAIT_MS = 1000;

/** Shared memory for the states of `slots` slots (all free). */
export function slotStatesFor(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (1 + slots));
}

/** Main thread: the slot's payloads are packed; the worker may fill it again. */
export function freeSlot(states: Int32Array, slot: number): void {
  Atomics.store(states, 1 + slot, FREE);
  Atomics.add(states, 0, 1);
  Atomics.notify(states, 0);
}

/** A payload record the worker may still change: set to "delivered" (-1) when its slot goes out in a part. */
export type MutableChunkRecord = { -readonly [K in keyof ChunkRecord]: ChunkRecord[K] };

export class WorkerSlots {
  private readonly capacity: number;
  private readonly limit: number;
  private readonly states: Int32Array;
  private readonly post: (part: JobPart) => void;
  private readonly slots: SharedArrayBuffer[] = [];
  /** Which slots the main thread has the buffer of (sent once; after a growth, again). */
  private readonly sent: boolean[] = [];
  private jobId = 0;
  private slot = -1;
  private out: PayloadBuffer | undefined;
  /** The records whose payloads are in the current slot. */
  private records: MutableChunkRecord[] = [];

  constructor(capacity: number, limit: number, states: SharedArrayBuffer, post: (part: JobPart) => void) {
    this.capacity = capacity;
    this.limit = Math.max(1, limit);
    this.states = new Int32Array(states);
    this.post = post;
  }

  /** Starts a job in a free slot (waiting for one if need be). */
  begin(jobId: number): void {
    this.jobId = jobId;
    this.use(this.take());
  }

  /**
   * Room for `n` more bytes: the offset to write them at in `buffer`. Hands the current slot to the main thread
   * first when it holds payloads and `n` would not fit.
   */
  reserve(n: number): number {
    const out = this.current();
    if (out.length > 0 && out.length + n > out.capacity) {
      this.spill();
      return this.current().reserve(n);
    }
    return out.reserve(n);
  }

  /** The memory reserve() made room in (valid until the next reserve). */
  get buffer(): Buffer {
    return this.current().buffer;
  }

  /** `n` bytes were written at the reserved offset for `record`. */
  commit(n: number, record: MutableChunkRecord): void {
    this.current().commit(n);
    this.records.push(record);
  }

  /** Ends the job: its last slot, and the buffer when the main thread has not seen it, go with the result. */
  finish(): { readonly slot: number; readonly buffer?: SharedArrayBuffer } {
    const slot = this.slot;
    const buffer = this.settle();
    this.out = undefined;
    this.records = [];
    return buffer === undefined ? { slot } : { slot, buffer };
  }

  /** Ends a failed job: its current slot is free again (parts already sent are the main thread's). */
  abandon(): void {
    if (this.out !== undefined) freeSlot(this.states, this.slot);
    this.out = undefined;
    this.records = [];
  }

  private current(): PayloadBuffer {
    if (this.out === undefined) throw new Error('WorkerSlots: no job begun');
    return this.out;
  }

  private spill(): void {
    const slot = this.slot;
    const buffer = this.settle();
    const contents = this.records.map((r) => ({ ...r }));
    // the result lists these chunks too (a file needs its chunk list), but their payloads go with this part
    for (const r of this.records) r.payloadOffset = -1;
    this.post({ type: 'part', jobId: this.jobId, slot, contents, ...(buffer === undefined ? {} : { buffer }) });
    this.use(this.take());
  }

  /** Keeps the slot's buffer (it may have grown) and returns it when the main thread needs it sent. */
  private settle(): SharedArrayBuffer | undefined {
    const out = this.current();
    if (out.shared !== this.slots[this.slot]) {
      this.slots[this.slot] = out.shared;
      this.sent[this.slot] = false;
    }
    if (this.sent[this.slot] === true) return undefined;
    this.sent[this.slot] = true;
    return this.slots[this.slot];
  }

  private use(slot: number): void {
    this.slot = slot;
    this.out = new PayloadBuffer(this.slots[slot]!);
    this.records = [];
  }

  private take(): number {
    for (;;) {
      const generation = Atomics.load(this.states, 0);
      for (let i = 0; i < this.slots.length; i++) {
        if (Atomics.compareExchange(this.states, 1 + i, FREE, IN_USE) === FREE) return i;
      }
      if (this.slots.length < this.limit) {
        this.slots.push(new SharedArrayBuffer(this.capacity));
        this.sent.push(false);
        Atomics.store(this.states, this.slots.length, IN_USE);
        return this.slots.length - 1;
      }
      Atomics.wait(this.states, 0, generation, WAIT_MS);
    }
  }
}
