// A concurrency limit with a floor that is always granted and a ceiling granted only while a condition holds.
// The walk uses one per directory for its subdirectories (uploader.ts): four at once always, up to eight once
// its subdirectories have shown themselves to be small leaves.
// The floor alone guarantees progress as Semaphore does. The condition is asked when a slot is requested and
// whenever one is released, so callers waiting beyond the floor start as soon as a release finds room.
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

  /** Runs `fn` holding one slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.waiters.length === 0 && this.mayStartOne()) this.active++;
    else await new Promise<void>((resolve) => this.waiters.push(resolve)); // admit() counts the slot
    try {
      return await fn();
    } finally {
      this.active--;
      this.admit();
    }
  }

  private mayStartOne(): boolean {
    return this.active < this.floor || (this.active < this.ceiling && this.roomForMore());
  }

  private admit(): void {
    while (this.waiters.length > 0 && this.mayStartOne()) {
      this.active++;
      this.waiters.shift()!();
    }
  }
}
