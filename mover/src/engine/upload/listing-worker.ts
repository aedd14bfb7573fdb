// The listing read-ahead's thread (listing-read-ahead.ts): walks the source depth first, in listing order
// (the uploader's order), and sends each directory's listing as columns (listing-columns.ts). The lstat calls
// are synchronous here as on the main thread (directory-reader.ts says why), but here they do not hold up
// the main thread, which meanwhile opens the repository, loads the previous snapshot's listings and packs.
// Flow control: it pauses while the listings it sent and the uploader has not taken hold `maxEntries`
// entries, and skips directories the uploader excludes, with everything below them.
import { isMainThread, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Semaphore } from '../util/semaphore.ts';
import { signalReady } from '../util/worker-ready.ts';
import { readDirectoryInto } from './directory-reader.ts';
import { ColumnsBuilder, DIRECTORY, kindColumn, type ListingColumns } from './listing-columns.ts';
import { childTextPath } from '../snapshot/fs-path.ts';
import { isWithinAny, type ReadAheadData, type ReadAheadMessage, type ReadAheadSkip } from './read-ahead-protocol.ts';

let maxEntries: number;
let listings: ReadAheadData['listings'];
let taken: Int32Array;
const fsLimit = new Semaphore(1);
const skipped = new Set<string>();
/** Entries sent so far, modulo 2^32 like `taken`. */
let sent = 0;

const send = (m: ReadAheadMessage, transfer?: ArrayBuffer[]): void => listings.postMessage(m, transfer);

/** Takes the directories the uploader excluded since the last look (read synchronously, as the walk rarely yields). */
function takeSkips(): void {
  for (let m = parentPort && receiveMessageOnPort(parentPort); m !== undefined && m !== null; m = receiveMessageOnPort(parentPort!)) {
    skipped.add((m.message as ReadAheadSkip).skip);
  }
}

/** Waits until the listings sent and not taken hold fewer than maxEntries entries. */
async function room(): Promise<void> {
  for (;;) {
    const seen = Atomics.load(taken, 0);
    if (((sent - seen) | 0) < maxEntries) return;
    const wait = Atomics.waitAsync(taken, 0, seen);
    if (!wait.async) continue;
    const alive = setInterval(() => undefined, 2 ** 30); // a pending waitAsync does not keep a thread running
    try {
      await wait.value;
    } finally {
      clearInterval(alive);
    }
  }
}

/** The paths of the listing's subdirectories; one with a byte name (not UTF-8) is left to the uploader. */
function subdirectories(listing: ListingColumns): string[] {
  const kinds = kindColumn(listing);
  const paths: string[] = [];
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === DIRECTORY && listing.bytes?.[i] == null) paths.push(childTextPath(listing.dir, listing.names[i]!));
  }
  return paths;
}

async function walk(dir: string): Promise<void> {
  await room();
  takeSkips();
  if (isWithinAny(dir, skipped)) return;
  let listing: ListingColumns;
  try {
    listing = await readDirectoryInto(dir, fsLimit, (names) => new ColumnsBuilder(dir, names));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    send({ type: 'error', dir, code: err.code ?? 'EIO', message: err.message });
    return;
  }
  sent = (sent + listing.names.length) | 0;
  const subdirs = subdirectories(listing);
  send({ type: 'listing', listing }, [listing.columns]);
  for (const path of subdirs) await walk(path);
}

async function start(data: ReadAheadData): Promise<void> {
  ({ maxEntries, listings, taken } = data);
  signalReady(parentPort);
  await walk(data.root);
  send({ type: 'done' });
}

// On the main thread this module is only compiled, for the compile cache (util/worker-modules.ts).
if (!isMainThread) void start(workerData as ReadAheadData); // a failure is an unhandled rejection: the thread's error event
