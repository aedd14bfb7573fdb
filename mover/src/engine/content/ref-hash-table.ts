// An open-addressing hash table (linear probing) from binary content keys to uint32 references, kept in
// two typed arrays: the structure behind every in-memory content lookup (perf.md §3.5: 5 bytes per slot
// instead of ~150 bytes per Map entry). Subclasses say how a reference's key compares to a probe key and
// hash it; the table itself stores no keys, only an 8-bit tag of each hash that rejects 255 of 256 probes
// of other keys without touching them (a full 32-bit hash per slot cost 3 more bytes per slot: ~30 MB
// per 10 million contents, twice during GC). Content hashes are keyed MACs, so their bytes are already
// uniformly distributed and a few of them make a good hash.

const EMPTY = 0;
const MAX_LOAD = 0.7;
const MIN_CAPACITY = 16;

/** 32-bit hash of the key `buf[offset, offset+length)`: mixes its last 4 bytes with its first (prefix) byte. */
export function contentKeyHash(buf: Uint8Array, offset: number, length: number): number {
  return contentKeyHashParts(buf[offset]!, buf, offset + 1, length - 1);
}

/** contentKeyHash of the key `prefixByte ‖ hash[offset, offset+length)` without assembling it. */
export function contentKeyHashParts(prefixByte: number, hash: Uint8Array, offset: number, length: number): number {
  const end = offset + length;
  let h: number;
  if (length >= 4) {
    h = ((hash[end - 4]! << 24) | (hash[end - 3]! << 16) | (hash[end - 2]! << 8) | hash[end - 1]!) >>> 0;
  } else {
    h = 0;
    for (let i = offset; i < end; i++) h = Math.imul(h ^ hash[i]!, 0x01000193);
  }
  h ^= Math.imul(prefixByte + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Byte equality of two short ranges without crossing into native code (faster than Buffer.compare for keys). */
export function bytesEqual(a: Uint8Array, ao: number, b: Uint8Array, bo: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

function capacityFor(count: number): number {
  let cap = MIN_CAPACITY;
  while (cap * MAX_LOAD < count) cap *= 2;
  return cap;
}

export abstract class RefHashTable {
  /** ref + 1 per slot, 0 when empty. */
  private slots: Uint32Array;
  /** Top 8 bits of each slot's hash (the slot number comes from the low bits). */
  private tags: Uint8Array;
  private mask: number;
  private used = 0;

  protected constructor(expectedCount = 0) {
    const cap = capacityFor(expectedCount);
    this.slots = new Uint32Array(cap);
    this.tags = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** True when the key of `ref` equals `key[offset, offset+length)`. */
  protected abstract refHasKey(ref: number, key: Uint8Array, offset: number, length: number): boolean;

  /** contentKeyHash of the key of `ref` (to place it again when the table grows). */
  protected abstract refKeyHash(ref: number): number;

  /** Number of references stored. */
  get tableSize(): number {
    return this.used;
  }

  /** Bytes used by the table arrays (for memory accounting in tests and logs). */
  get tableBytes(): number {
    return this.slots.byteLength + this.tags.byteLength;
  }

  /** The reference stored for the key, or -1. */
  protected lookupRef(key: Uint8Array, offset: number, length: number, hash: number): number {
    const slots = this.slots;
    const tags = this.tags;
    const tag = hash >>> 24;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === EMPTY) return -1;
      if (tags[i] === tag && this.refHasKey(s - 1, key, offset, length)) return s - 1;
    }
  }

  /**
   * Stores `ref` for the key unless the key is present. Returns -1 when inserted, otherwise the slot
   * number of the existing entry (pass it to refAtSlot / replaceAtSlot).
   */
  protected insertRef(ref: number, key: Uint8Array, offset: number, length: number, hash: number): number {
    if ((this.used + 1) > this.slots.length * MAX_LOAD) this.grow();
    const slots = this.slots;
    const tags = this.tags;
    const tag = hash >>> 24;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === EMPTY) {
        slots[i] = ref + 1;
        tags[i] = tag;
        this.used++;
        return -1;
      }
      if (tags[i] === tag && this.refHasKey(s - 1, key, offset, length)) return i;
    }
  }

  protected refAtSlot(slot: number): number {
    return this.slots[slot]! - 1;
  }

  protected replaceAtSlot(slot: number, ref: number): void {
    this.slots[slot] = ref + 1;
  }

  /** Calls fn for every stored reference (in slot order). */
  protected forEachRef(fn: (ref: number) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (s !== EMPTY) fn(s - 1);
    }
  }

  protected clearTable(): void {
    this.slots = new Uint32Array(MIN_CAPACITY);
    this.tags = new Uint8Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.used = 0;
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldTags = this.tags;
    const cap = oldSlots.length * 2;
    const slots = new Uint32Array(cap);
    const tags = new Uint8Array(cap);
    const mask = cap - 1;
    for (let j = 0; j < oldSlots.length; j++) {
      const s = oldSlots[j]!;
      if (s === EMPTY) continue;
      let i = this.refKeyHash(s - 1) & mask;
      while (slots[i] !== EMPTY) i = (i + 1) & mask;
      slots[i] = s;
      tags[i] = oldTags[j]!;
    }
    this.slots = slots;
    this.tags = tags;
    this.mask = mask;
  }
}
