// A directory listing as the read-ahead thread sends it (listing-worker.ts): names as a string array, and
// every entry's stat fields in one ArrayBuffer of columns that is transferred, not copied. Structured-cloning
// the entries as objects (seven fields, two of them bigints) would cost the receiving thread about as much as
// the lstat calls it is spared; a column per field is read back with one typed-array access per field.
import { SourceEntry, type DirectoryListing, type EntryFailure, type ListingBuilder } from './directory-reader.ts';
import type { EntryKind, EntryStat } from './entry-stat.ts';

/** A listing on the wire. Byte values (names, paths) arrive as Uint8Array and become Buffers again. */
export interface ListingColumns {
  readonly dir: string;
  readonly names: string[];
  /** Per entry, its name's bytes when they are not UTF-8; absent when no name needs them. */
  readonly bytes?: (Uint8Array | null)[];
  /** mtimeNs, ino (8 bytes each), size (float64), uid, gid (4 each), mode (2), kind (1) per entry. */
  readonly columns: ArrayBuffer;
  readonly failures: { name: string; path: string | Uint8Array; errno: string; message: string }[];
}

const KINDS: readonly EntryKind[] = ['d', 'f', 's', 'other'];
const BYTES_PER_ENTRY = 8 + 8 + 8 + 4 + 4 + 2 + 1;

interface Views {
  mtime: BigInt64Array; ino: BigUint64Array; size: Float64Array; uid: Uint32Array; gid: Uint32Array; mode: Uint16Array; kind: Uint8Array;
}

function views(buffer: ArrayBuffer, n: number): Views {
  // widest first, so every view starts aligned to its element size
  return {
    mtime: new BigInt64Array(buffer, 0, n),
    ino: new BigUint64Array(buffer, 8 * n, n),
    size: new Float64Array(buffer, 16 * n, n),
    uid: new Uint32Array(buffer, 24 * n, n),
    gid: new Uint32Array(buffer, 28 * n, n),
    mode: new Uint16Array(buffer, 32 * n, n),
    kind: new Uint8Array(buffer, 34 * n, n),
  };
}

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * Builds a listing's columns as its entries are read (directory-reader.ts): per entry only the name stays on
 * the heap, so a thread listing a large tree makes little garbage that outlives its young generation.
 */
export class ColumnsBuilder implements ListingBuilder<ListingColumns> {
  private readonly names: string[] = [];
  private bytes: (Uint8Array | null)[] | undefined;
  private readonly failures: ListingColumns['failures'] = [];
  private v: Views;
  private capacity: number;
  private readonly dir: string;

  constructor(dir: string, expected = 64) {
    this.dir = dir;
    this.capacity = Math.max(1, expected);
    this.v = views(new ArrayBuffer(BYTES_PER_ENTRY * this.capacity), this.capacity);
  }

  entry(name: string, bytes: Buffer | undefined, stat: EntryStat): void {
    const i = this.names.length;
    if (i === this.capacity) this.grow(2 * this.capacity);
    this.names.push(name);
    // a copy: a Buffer is often a slice of a shared pool, and a cloned view takes its whole ArrayBuffer along
    if (bytes !== undefined) (this.bytes ??= [])[i] = new Uint8Array(bytes);
    const v = this.v;
    v.mtime[i] = stat.mtimeNs;
    v.ino[i] = stat.ino;
    v.size[i] = stat.size;
    v.uid[i] = stat.uid;
    v.gid[i] = stat.gid;
    v.mode[i] = stat.mode;
    v.kind[i] = KINDS.indexOf(stat.kind);
  }

  failure(f: EntryFailure): void {
    this.failures.push({ ...f, path: typeof f.path === 'string' ? f.path : new Uint8Array(f.path) });
  }

  /** The listing; its `columns` are the ArrayBuffer to transfer. */
  done(): ListingColumns {
    const n = this.names.length;
    if (n !== this.capacity) this.grow(n);
    const bytes = this.bytes === undefined ? undefined : Array.from({ length: n }, (_, i) => this.bytes![i] ?? null);
    return { dir: this.dir, names: this.names, ...(bytes !== undefined ? { bytes } : {}), columns: this.v.mtime.buffer as ArrayBuffer, failures: this.failures };
  }

  /** Moves the columns to room for `capacity` entries (at least those held). */
  private grow(capacity: number): void {
    const n = this.names.length;
    const next = views(new ArrayBuffer(BYTES_PER_ENTRY * capacity), capacity);
    for (const k of Object.keys(next) as (keyof Views)[]) {
      (next[k] as { set(a: ArrayLike<unknown>): void }).set(this.v[k].subarray(0, n) as ArrayLike<unknown>);
    }
    this.v = next;
    this.capacity = capacity;
  }
}

/** The listing again, its entries as the directory reader builds them. */
export function decodeListing(msg: ListingColumns): DirectoryListing {
  const n = msg.names.length;
  if (msg.columns.byteLength !== BYTES_PER_ENTRY * n) {
    throw new RangeError(`listing of ${msg.dir}: ${msg.columns.byteLength} bytes of columns for ${n} entries`);
  }
  const v = views(msg.columns, n);
  const entries: SourceEntry[] = new Array<SourceEntry>(n);
  for (let i = 0; i < n; i++) {
    const stat: EntryStat = {
      kind: KINDS[v.kind[i]!] ?? 'other', mode: v.mode[i]!, size: v.size[i]!, mtimeNs: v.mtime[i]!,
      uid: v.uid[i]!, gid: v.gid[i]!, ino: v.ino[i]!,
    };
    const own = msg.bytes?.[i];
    entries[i] = new SourceEntry(msg.dir, msg.names[i]!, own == null ? undefined : toBuffer(own), stat);
  }
  const failures: EntryFailure[] = msg.failures.map((f) => ({ ...f, path: typeof f.path === 'string' ? f.path : toBuffer(f.path) }));
  return { entries, failures };
}

/** The kind code of a directory in kindColumn. */
export const DIRECTORY = KINDS.indexOf('d');

/** The listing's entry kinds, one code (an index into EntryKind's values) per entry. */
export function kindColumn(listing: ListingColumns): Uint8Array {
  return views(listing.columns, listing.names.length).kind;
}
