// Splits a byte stream into contents and names the result (kopia repo/object/object_writer.go): one chunk
// -> that content's ID; several -> the indirect JSON listing them is written as an object of its own with
// prefix "x" (or the caller's prefix, e.g. "k") and the metadata compressor, and the object ID is "I" + its
// ID (recursively "II…" when the index itself spans several chunks). An empty stream is the content of
// zero bytes.
import type { WriteContentOptions } from '../content/content-store.ts';
import { CairnError } from '../errors.ts';
import type { IndirectEntry } from './indirect-object.ts';
import { buildIndirectObject } from './indirect-object.ts';
import { indirectObjectId } from './object-id.ts';
import type { ObjectWriter } from './object-store.ts';
import type { Splitter, SplitterFactory } from './splitter.ts';

/** The content-layer call writing needs (a subset of ContentWriter). */
export interface ObjectContentWriter {
  /** Must not keep a reference to `data` after the promise settles. */
  writeContent(data: Uint8Array, options: WriteContentOptions): Promise<string>;
}

export interface ContentObjectWriterConfig {
  readonly contents: ObjectContentWriter;
  readonly splitter: Splitter;
  /** Splitter for the indirect JSON (kopia uses the repository default). */
  readonly newIndexSplitter: SplitterFactory;
  readonly prefix: string;
  readonly compression: string | undefined;
  readonly metadataCompression: string | undefined;
  readonly concurrency: number;
  readonly description: string;
  /** Levels of index objects above this writer's object (internal; bounds runaway nesting). */
  readonly depth?: number;
}

/** Prefix for index contents of objects that have none (so they land in metadata "q" packs). */
export const INDIRECT_CONTENT_PREFIX = 'x';

const INITIAL_CARRY = 64 << 10;
/** Kopia objects never need more than a few levels; more means the splitter is too small for its index. */
const MAX_INDIRECTION = 16;

interface PendingEntry {
  start: number;
  length: number;
  objectId: string;
}

/** A writer that is used after result() or after a failed write. */
export class ObjectWriterStateError extends CairnError {
  constructor(message: string) {
    super('INTERNAL', message, { hint: 'this is a bug in the caller: create a new object writer per object' });
  }
}

export class ContentObjectWriter implements ObjectWriter {
  private readonly cfg: ContentObjectWriterConfig;
  private readonly entries: PendingEntry[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private position = 0;
  private carry: Buffer | undefined; // bytes of an unfinished chunk (copied: the caller's buffer is reused)
  private carryLength = 0;
  private failure: unknown;
  private done: Promise<string> | undefined;
  private busy = false;

  constructor(config: ContentObjectWriterConfig) {
    this.cfg = config;
    config.splitter.reset();
  }

  async write(data: Uint8Array): Promise<void> {
    this.enter();
    try {
      const splitter = this.cfg.splitter;
      let pos = 0;
      while (pos < data.length) {
        const cut = splitter.next(data, pos, data.length);
        if (cut < 0) {
          this.appendCarry(data, pos, data.length);
          break;
        }
        if (this.carryLength > 0) {
          this.appendCarry(data, pos, cut);
          await this.emit(this.takeCarry());
        } else {
          await this.emit(data.subarray(pos, cut));
        }
        pos = cut;
      }
      await this.drain();
    } finally {
      this.busy = false;
    }
  }

  async checkpoint(): Promise<string | undefined> {
    this.enter();
    try {
      await this.drain();
      return this.entries.length === 0 ? undefined : await this.name(this.entries.slice());
    } finally {
      this.busy = false;
    }
  }

  result(): Promise<string> {
    if (this.done === undefined) {
      try {
        this.enter();
      } catch (e) {
        return Promise.reject(e);
      }
      this.done = this.finish().finally(() => {
        this.busy = false;
      });
    }
    return this.done;
  }

  private async finish(): Promise<string> {
    if (this.carryLength > 0 || this.entries.length === 0) await this.emit(this.takeCarry());
    await this.drain();
    return this.name(this.entries);
  }

  private enter(): void {
    if (this.done !== undefined) throw new ObjectWriterStateError(`object writer ${this.cfg.description} used after result()`);
    if (this.busy) throw new ObjectWriterStateError(`overlapping calls on object writer ${this.cfg.description}`);
    if (this.failure !== undefined) throw this.failure;
    this.busy = true;
  }

  private async name(entries: readonly IndirectEntry[]): Promise<string> {
    if (entries.length === 1) return entries[0]!.objectId;
    return writeIndirectObject(this.cfg.contents, entries, {
      prefix: this.cfg.prefix,
      metadataCompression: this.cfg.metadataCompression,
      newSplitter: this.cfg.newIndexSplitter,
      description: `LIST(${this.cfg.description})`,
      depth: (this.cfg.depth ?? 0) + 1,
    });
  }

  /** Starts storing one chunk; waits while `concurrency` writes are already in flight. */
  private async emit(chunk: Uint8Array): Promise<void> {
    while (this.inflight.size >= this.cfg.concurrency) await Promise.race(this.inflight);
    if (this.failure !== undefined) throw this.failure;
    const entry: PendingEntry = { start: this.position, length: chunk.length, objectId: '' };
    this.position += chunk.length;
    this.entries.push(entry);
    const options: WriteContentOptions = { prefix: this.cfg.prefix, compression: this.cfg.compression };
    const p: Promise<void> = this.cfg.contents.writeContent(chunk, options).then(
      (id) => {
        entry.objectId = id;
      },
      (e: unknown) => {
        this.failure ??= e;
      },
    ).finally(() => {
      this.inflight.delete(p);
    });
    this.inflight.add(p);
  }

  private async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
    if (this.failure !== undefined) throw this.failure;
  }

  private appendCarry(data: Uint8Array, from: number, to: number): void {
    const need = this.carryLength + (to - from);
    if (this.carry === undefined || this.carry.length < need) {
      const doubled = Math.min(Math.max(INITIAL_CARRY, (this.carry?.length ?? 0) * 2), this.cfg.splitter.maxSize);
      const grown = Buffer.allocUnsafe(Math.max(doubled, need));
      if (this.carry !== undefined) this.carry.copy(grown, 0, 0, this.carryLength);
      this.carry = grown;
    }
    this.carry.set(data.subarray(from, to), this.carryLength);
    this.carryLength = need;
  }

  /** Hands the unfinished chunk over; the next append starts a new buffer (the old one may be in flight). */
  private takeCarry(): Buffer {
    const out = this.carry === undefined ? Buffer.alloc(0) : this.carry.subarray(0, this.carryLength);
    this.carry = undefined;
    this.carryLength = 0;
    return out;
  }
}

export interface WriteIndirectOptions {
  /** The prefix of the object the index describes ("" becomes "x"). */
  readonly prefix?: string;
  readonly metadataCompression?: string | undefined;
  readonly newSplitter: SplitterFactory;
  readonly concurrency?: number;
  readonly description?: string;
  readonly depth?: number;
}

/**
 * Stores the index of an object made of `entries` and returns the object's ID ("I" + index object ID).
 * One entry names the object itself (no indirection), as kopia's writer does. For parallel uploaders that
 * stored the chunks elsewhere: the bytes equal those the ObjectWriter would have written.
 */
export async function writeIndirectObject(contents: ObjectContentWriter, entries: readonly IndirectEntry[],
  options: WriteIndirectOptions): Promise<string> {
  if (entries.length === 0) throw new RangeError('an indirect object needs at least one entry');
  if (entries.length === 1 && entries[0]!.start === 0) return entries[0]!.objectId;
  const depth = options.depth ?? 1;
  if (depth > MAX_INDIRECTION) {
    throw new CairnError('INTERNAL', `index of ${options.description ?? 'an object'} needs more than ${MAX_INDIRECTION} levels`, {
      hint: 'the splitter produces chunks too small to hold its own index entries; use a larger splitter',
    });
  }
  const prefix = options.prefix === undefined || options.prefix === '' ? INDIRECT_CONTENT_PREFIX : options.prefix;
  const w = new ContentObjectWriter({
    contents,
    splitter: options.newSplitter(),
    newIndexSplitter: options.newSplitter,
    prefix,
    compression: options.metadataCompression,
    metadataCompression: options.metadataCompression,
    concurrency: options.concurrency ?? 1,
    description: options.description ?? 'INDEX',
    depth,
  });
  await w.write(buildIndirectObject(entries));
  return indirectObjectId(await w.result());
}
