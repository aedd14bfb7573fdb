// A concurrency limit with a floor that is always granted and a ceiling granted only while a shared condition
// holds. The walk uses one per directory for its subdirectories: four at once always (each holds its listing,
// so that is what bounds memory), up to eight while the whole walk holds few listed entries — a tree of small
// directories otherwise keeps too little work in flight for the hashing workers (each directory finishes only
// when all its files have been stored, and its next sibling starts only then).
// The floor alone guarantees progress as Semaphore does: a caller waiting for an extra slot is woken by a
// sibling's release, never by the condition alone, so nothing waits on a condition that might not change.
export class ElasticSemaphore {
  private active = 0;
  private readonly floor: number;
  private readonly ceiling: number;
  private readonly roomForMore: () => boolean;
  private readonly waiters: (() => void)[] = [];

  constructor(floor: number, ceiling: number, roomForMore: () => boolean) {
    if (!Number.isInteger(floor) || floor < 1) throw new RangeError(`concurrency floor must be a positive integer, got ${floor}`);
    this.floor = floor;
    this.ceiling = Math.max(floor, ceiling);
    this.roomForMore = roomForMore;
  }

  /** Runs `fn` holding one slot; `beyondFloor` tells it that the slot is one of the extra ones. */
  async run<T>(fn: (beyondFloor: boolean) => Promise<T>): Promise<T> {
    if (this.active < this.floor || (this.active < this.ceiling && this.roomForMore())) this.active++;
    else await new Promise<void>((resolve) => this.waiters.push(resolve)); // the releaser hands its slot over
    try {
      return await fn(this.active > this.floor);
    } finally {
      const next = this.active > this.floor && !this.roomForMore() ? undefined : this.waiters.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}
