// How many workers, jobs, files and pack uploads a backup runs at once, sized from the memory it may use
// (the mover's cgroup limit, or a flag) so that a backup fits its container instead of being OOM-killed.
// Pure: the CLI measures the limit and the cores; the uploader and the content manager take the plan.
import { createSplitter, DEFAULT_SPLITTER } from '../object/splitter-factory.ts';
//
// Where the memory of a backup goes (measured with --heap-prof / process.memoryUsage per thread, 1 GB
// first backup, see the README's performance section), and the model below:
// - the main thread: Node itself and the loaded code (~60 MiB), the walk (listings of the directories in
//   progress and state per file in flight, ~1 KiB each);
// - packs being filled and uploaded: one buffer of maxPackSize + slack each (an upper bound: a filesystem
//   repository's data packs go to storage while they fill, file-blob-writer.ts, and hold a few 4 MiB windows);
// - each hashing worker: its isolate and compressor (~30 MiB), its read window (the largest chunk plus one
//   read), its payload slots (payload-slots.ts: a few of PAYLOAD_SLOT_BYTES; a job larger than a slot hands
//   full ones over as it goes, and a worker with all of them waiting to be packed waits too).

export interface UploadResources {
  /** Hashing worker threads. */
  readonly workers: number;
  /** Jobs handed to each worker beyond the one it runs (its backlog; results wait for packing too). */
  readonly jobsPerWorker: number;
  /** Finished jobs per worker whose payloads may wait for packing while the worker goes on. */
  readonly resultsWaiting: number;
  /** Payload slots per worker (payload-slots.ts): at least 2, so a worker goes on while its last result waits. */
  readonly payloadSlots: number;
  /** Files (and symlinks) processed at once across the whole tree. */
  readonly filesInFlight: number;
  /** Subdirectories of one directory walked at once: listings held grow with depth, not with the tree. */
  readonly subdirsPerDirectory: number;
  /**
   * Subdirectories of one directory walked at once after those it listed were all small leaves and the walk
   * holds few listed entries (uploader.ts, sibling-listings.ts): small directories keep too little work in
   * flight subdirsPerDirectory at a time. Default: subdirsPerDirectory.
   */
  readonly subdirsWhenSmall?: number;
  /**
   * Room in each worker's read window beyond the largest chunk it must hold (reads are 1 MiB pieces,
   * segment-chunker.ts: more room only slides the unfinished chunk less often, and every byte of the window
   * becomes resident — 8 MiB of room cost each worker 7 MiB more than 1 MiB did, for no measurable speed).
   */
  readonly readBytes: number;
  /** Packs uploaded at the same time (each holds a pack buffer until stored). */
  readonly packUploads: number;
  /** Packs are sealed at this size (or the format's maxPackSize when smaller). */
  readonly packBytes: number;
  /** The memory this plan expects to use, for the log line. */
  readonly expectedBytes: number;
}

export interface ResourceInput {
  /** The memory the process may use; undefined: plan for throughput only. */
  readonly memoryLimitBytes?: number | undefined;
  readonly cores: number;
  /** An explicit worker count (--parallel) wins over the plan's. */
  readonly workers?: number | undefined;
  /** The splitter's largest chunk (default: Cairn's splitter's). */
  readonly maxChunkBytes?: number;
  /** The format's pack size (default kopia's 20 MiB). */
  readonly maxPackBytes?: number;
}

type Sizes = Required<Pick<ResourceInput, 'maxChunkBytes' | 'maxPackBytes'>>;

function sizesOf(input: ResourceInput): Sizes {
  return {
    maxChunkBytes: input.maxChunkBytes ?? createSplitter(DEFAULT_SPLITTER).maxSize,
    maxPackBytes: input.maxPackBytes ?? 20 * MiB,
  };
}

const MiB = 1024 * 1024;
/**
 * Large files are cut into segments of this size, chunked independently (both cores work on one big file).
 * Chunk boundaries restart at every segment, so this must never depend on the plan or change between
 * versions: another size would cut the same file differently and store it again.
 */
export const SEGMENT_BYTES = 16 * MiB;
/**
 * One payload slot: 4 MiB of sealed payloads and room for the chunk that would not fit (a job hands a slot over
 * before the next payload would overflow it; one payload larger than a whole slot grows it). Smaller slots
 * mean more part messages for large files; 4 MiB is ~4 average chunks.
 */
export const PAYLOAD_SLOT_BYTES = 4 * MiB + 64 * 1024;
/** Node, the loaded code and the main heap of a walk with bounded files in flight. */
const BASE = 110 * MiB;
/** A worker's isolate, compressor contexts and garbage between collections. */
const WORKER_BASE = 30 * MiB;
/** Part of the limit the plan may fill: the rest is headroom for garbage collection and the page cache. */
const FILL = 0.8;

/** The most generous plan first; the first that fits the memory limit is taken (the last one always). */
function candidates(cores: number): Omit<UploadResources, 'expectedBytes'>[] {
  const w = Math.max(1, cores);
  return [
    { workers: w, jobsPerWorker: 2, resultsWaiting: 1, payloadSlots: 4, filesInFlight: 1024, subdirsPerDirectory: 4, subdirsWhenSmall: 8, readBytes: 1 * MiB, packUploads: 3, packBytes: 20 * MiB },
    { workers: w, jobsPerWorker: 1, resultsWaiting: 1, payloadSlots: 3, filesInFlight: 512, subdirsPerDirectory: 4, readBytes: 1 * MiB, packUploads: 2, packBytes: 20 * MiB },
    { workers: Math.min(w, 2), jobsPerWorker: 1, resultsWaiting: 0, payloadSlots: 2, filesInFlight: 256, subdirsPerDirectory: 2, readBytes: 1 * MiB, packUploads: 1, packBytes: 16 * MiB },
    { workers: 1, jobsPerWorker: 1, resultsWaiting: 0, payloadSlots: 2, filesInFlight: 128, subdirsPerDirectory: 2, readBytes: 1 * MiB, packUploads: 1, packBytes: 8 * MiB },
  ];
}

/** The memory a plan is expected to take (the model in the header). */
export function expectedUploadMemory(plan: Omit<UploadResources, 'expectedBytes'>, input: ResourceInput): number {
  const sizes = sizesOf(input);
  const perWorker = WORKER_BASE + sizes.maxChunkBytes + plan.readBytes + plan.payloadSlots * PAYLOAD_SLOT_BYTES;
  const packs = (plan.packUploads + 1) * (Math.min(plan.packBytes, sizes.maxPackBytes) + sizes.maxChunkBytes);
  return BASE + plan.workers * perWorker + packs + plan.filesInFlight * 1024;
}

export function planUploadResources(input: ResourceInput): UploadResources {
  const list = candidates(input.cores).map((c) => (input.workers === undefined ? c : { ...c, workers: input.workers }));
  const budget = input.memoryLimitBytes === undefined ? Number.POSITIVE_INFINITY : input.memoryLimitBytes * FILL;
  for (const c of list) {
    const expected = expectedUploadMemory(c, input);
    if (expected <= budget) return { ...c, expectedBytes: expected };
  }
  const last = list[list.length - 1]!;
  return { ...last, expectedBytes: expectedUploadMemory(last, input) };
}
