// What the listing read-ahead (listing-read-ahead.ts) and its thread (listing-worker.ts) share. Listings go
// through a port of their own that the main thread drains synchronously when it looks for one: its walk of an
// unchanged tree runs for a long time without returning to the event loop (its reads are answered from
// memory), so listings delivered as events would wait until it is done.
import type { MessagePort } from 'node:worker_threads';
import type { ListingColumns } from './listing-columns.ts';

export interface ReadAheadData {
  /** The source directory, as the uploader is given it (listings are keyed by the paths built from it). */
  readonly root: string;
  /** Entries sent and not yet taken at which the thread pauses. */
  readonly maxEntries: number;
  /** Where the thread sends its ReadAheadMessages. */
  readonly listings: MessagePort;
  /**
   * Shared: entries taken or dropped by the main thread so far (modulo 2^32), counted up and notified; the
   * thread compares it with what it has sent.
   */
  readonly taken: Int32Array;
}

/** From the thread: a directory's listing, a directory it could not read, or the end of its walk. */
export type ReadAheadMessage =
  | { readonly type: 'listing'; readonly listing: ListingColumns }
  | { readonly type: 'error'; readonly dir: string; readonly code: string; readonly message: string }
  | { readonly type: 'done' };

/** To the thread (its parent port, read synchronously per directory): a directory the backup excludes. */
export interface ReadAheadSkip {
  readonly skip: string;
}

/** True when `path` is `dir` or lies below it (paths as childTextPath builds them). */
export function isWithin(path: string, dir: string): boolean {
  if (path === dir) return true;
  return path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** True when `path` is one of `dirs` or lies below one: a set lookup per ancestor, however many dirs there are. */
export function isWithinAny(path: string, dirs: ReadonlySet<string>): boolean {
  if (dirs.size === 0) return false;
  if (dirs.has(path)) return true;
  for (let i = path.lastIndexOf('/'); i >= 0; i = i === 0 ? -1 : path.lastIndexOf('/', i - 1)) {
    if (dirs.has(i === 0 ? '/' : path.slice(0, i))) return true;
  }
  return false;
}
