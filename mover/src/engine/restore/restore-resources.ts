// How many pack ranges a restore reads at once, how large they are, and how many writer threads decode and
// write them, sized from the memory the restore may use (the mover's cgroup limit, or a flag). Pure: the
// CLI measures the limit; restore takes the plan as RestoreOptions.
//
// Model: Node and the walk (~100 MiB); each range in flight is held fetched and then decoded (twice its
// size); each writer thread has its isolate, decompression context and garbage between collections.

export interface RestoreResources {
  /** Pack range reads in flight. */
  readonly parallel: number;
  /** Writer threads that decode and write file data. */
  readonly writers: number;
  /** Largest pack range per GET. */
  readonly maxRangeBytes: number;
  readonly expectedBytes: number;
}

const MiB = 1024 * 1024;
const BASE = 100 * MiB;
const WRITER = 40 * MiB;
const FILL = 0.8;

export function expectedRestoreMemory(plan: Omit<RestoreResources, 'expectedBytes'>): number {
  return BASE + plan.parallel * 2 * plan.maxRangeBytes + plan.writers * WRITER;
}

export interface RestoreResourceInput {
  readonly memoryLimitBytes?: number | undefined;
  readonly cores: number;
  /**
   * Where the packs are read from. A local filesystem answers a range in milliseconds, so 4 MiB ranges keep
   * the writers as busy as 8 MiB ones (shared dataset into tmpfs, 6 alternated runs: 8 of 8 MiB -> 4 of 4 MiB,
   * wall 4.04 -> 3.91 s, peak RSS 266 -> 207 MiB); a remote store needs the larger reads in flight to cover its
   * latency. 6 in flight rather than 4: each writer has two ranges queued behind the one it decodes, so it
   * does not run dry while the main thread plans a batch or reads listings (16 alternated pairs, packs read
   * with O_DIRECT: wall -83 +- 30 ms of ~1.9 s, peak RSS +9.5 MiB, CPU unchanged; 10 more: -66 +- 64 ms; 8 in
   * flight gained no more, for +22 MiB).
   */
  readonly storage?: 'local' | 'remote';
}

/** The most generous plan that fits 80% of the limit (the smallest when none does). */
export function planRestoreResources(input: RestoreResourceInput): RestoreResources {
  const cores = Math.max(1, input.cores);
  const local = input.storage === 'local';
  const list = [
    { parallel: local ? 6 : 8, writers: Math.min(4, cores), maxRangeBytes: (local ? 4 : 8) * MiB },
    { parallel: 4, writers: Math.min(2, cores), maxRangeBytes: 4 * MiB },
    { parallel: 2, writers: 1, maxRangeBytes: 4 * MiB },
  ];
  const budget = input.memoryLimitBytes === undefined ? Number.POSITIVE_INFINITY : input.memoryLimitBytes * FILL;
  const plan = list.find((p) => expectedRestoreMemory(p) <= budget) ?? list[list.length - 1]!;
  return { ...plan, expectedBytes: expectedRestoreMemory(plan) };
}
