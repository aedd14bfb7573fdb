// Reads the source's first directory listings while the repository opens. Opening derives the key from the
// password (scrypt, ~0.2 s on libuv's threads) and the main thread would only wait; an unchanged backup of
// 20,000 files spends about as long again listing and lstat-ing its source. The read-ahead walks the tree in
// the uploader's order (depth first, listing order) until it is stopped or holds `maxEntries` entries, and
// the uploader takes each listing from it instead of reading the directory again.
// It knows no ignore rules (they may come from the directories themselves), so it may list a directory the
// backup then excludes: the cost is bounded by maxEntries and by the time the repository takes to open.
// A listing taken ahead is as valid as one taken a moment later: a backup reads a live tree, never at one
// instant, and the snapshot's start time is the read-ahead's (the uploader takes the earlier of the two).
import { Semaphore } from '../util/semaphore.ts';
import { type DirectoryListing, readSourceDirectory } from './directory-reader.ts';

/** Entries listed at most: the shared dataset's 20,406 held at once raised an unchanged backup's peak RSS by 13 MiB. */
export const READ_AHEAD_ENTRIES = 50_000;

export class ListingReadAhead {
  /** When the first listing was started: the earliest moment the snapshot can describe. */
  readonly startedAt: Date;
  /** Settles when the walk has stopped starting listings (stopped, full, or the whole tree read). */
  readonly finished: Promise<void>;
  private readonly listings = new Map<string, Promise<DirectoryListing>>();
  private readonly maxEntries: number;
  private readonly fsLimit = new Semaphore(1);
  private entries = 0;
  private stopped = false;

  private constructor(root: string, maxEntries: number, startedAt: Date) {
    this.maxEntries = maxEntries;
    this.startedAt = startedAt;
    this.finished = this.walk(root);
  }

  /** Starts reading ahead below `root`, a directory path as the uploader will be given it. */
  static start(root: string, options: { maxEntries?: number; now?: () => Date } = {}): ListingReadAhead {
    return new ListingReadAhead(root, options.maxEntries ?? READ_AHEAD_ENTRIES, (options.now ?? (() => new Date()))());
  }

  /** No more directories are started; listings already read (or being read) can still be taken. */
  stop(): void {
    this.stopped = true;
  }

  /** The listing of `dir`, read ahead, once: later calls (and other paths) get undefined. */
  take(dir: string | Buffer): Promise<DirectoryListing> | undefined {
    if (typeof dir !== 'string') return undefined;
    const listing = this.listings.get(dir);
    this.listings.delete(dir);
    return listing;
  }

  /** Drops every listing not taken (directories the backup excluded, or never reached). */
  discard(): void {
    this.stopped = true;
    this.listings.clear();
  }

  private async walk(dir: string): Promise<void> {
    if (this.stopped || this.entries >= this.maxEntries) return;
    // one directory at a time, yielding between them: the repository's key derivation and reads complete
    // on this thread's event loop, and opening must not wait for the read-ahead
    await new Promise<void>((r) => setImmediate(r));
    if (this.stopped) return;
    const reading = readSourceDirectory(dir, this.fsLimit);
    reading.catch(() => undefined); // the uploader that takes it meets the error (and records it)
    this.listings.set(dir, reading);
    let listing: DirectoryListing;
    try {
      listing = await reading;
    } catch {
      return;
    }
    this.entries += listing.entries.length;
    for (const e of listing.entries) {
      if (e.stat.kind !== 'd') continue;
      const path = e.path;
      if (typeof path === 'string') await this.walk(path);
      if (this.stopped || this.entries >= this.maxEntries) return;
    }
  }
}
