// Splitters decide where an object's byte stream is cut into contents (kopia repo/splitter). They are
// pure, synchronous and allocation-free after construction: the caller feeds any slices it likes and
// gets the same cut points as if it had fed the whole stream at once.

export interface Splitter {
  /** Registry name, e.g. "FASTCDC-1M" or "DYNAMIC-4M-BUZHASH". */
  readonly name: string;
  /** No chunk is shorter than this, except the last chunk of an object. */
  readonly minSize: number;
  /** The nominal (target) chunk size. */
  readonly avgSize: number;
  /** No chunk is longer than this. */
  readonly maxSize: number;
  /**
   * Consumes `buffer[start, end)`. Returns the index `i` (start < i <= end) just past the last byte of the
   * current chunk: bytes before `i` were consumed and the splitter now stands at the start of a new chunk
   * (call again with `start = i`). Returns -1 when no cut lies in the range; then all bytes were consumed.
   */
  next(buffer: Uint8Array, start: number, end: number): number;
  /** Forgets all state: the next byte starts a new object. */
  reset(): void;
}

export type SplitterFactory = () => Splitter;
