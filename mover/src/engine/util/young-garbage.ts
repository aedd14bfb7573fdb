// node:crypto's Cipher.update / Decipher.update return a fresh buffer per call (no API writes into a
// caller's buffer), so every chunk sealed or opened leaves its ciphertext or plaintext — up to a chunk's
// size, 8 MiB — as garbage outside the JS heap. V8 collects such ArrayBuffers only when its young generation
// fills (the Buffer objects themselves are tiny) or when external memory has grown by ~64 MiB: an upload
// worker carried 40–60 MiB of dead chunks. A scavenge (young-generation GC) frees them; it costs well under
// a millisecond on a worker's small heap. Measured with 300 4-MiB AES-GCM chunks: peak RSS 145 -> 85 MiB,
// and 16% faster (fewer fresh pages to fault in).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major' }) => void;

let gc: GcFunction | undefined;

function scavenger(): GcFunction {
  if (gc === undefined) {
    // V8 hands out its gc() only behind --expose-gc; the flag takes effect for contexts created after it
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as GcFunction;
  }
  return gc;
}

/**
 * Collects dead short-lived buffers once `bytes` more have been produced since the last collection went
 * past `every`: call it after each unit of work with the bytes it allocated.
 */
export class YoungGarbageCollector {
  private produced = 0;
  private readonly every: number;

  constructor(every: number) {
    this.every = every;
  }

  add(bytes: number): void {
    this.produced += bytes;
    if (this.produced < this.every) return;
    this.produced = 0;
    scavenger()({ type: 'minor' });
  }
}

/**
 * A full collection now. For the one moment a run knows most of its old generation just died and a large
 * allocation comes next (a backup's walk is over and its index blob is built): V8 would collect it only after
 * the new allocation, and its freed pages count in the peak until then.
 */
export function collectAllGarbage(): void {
  scavenger()({ type: 'major' });
}
