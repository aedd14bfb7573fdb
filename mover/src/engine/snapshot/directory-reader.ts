// Reads one directory of the source: names, then lstat of every entry with bounded parallelism (network
// file systems reward many requests in flight; local ones don't mind). Stats are bigint for ns mtimes.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BigIntStats } from 'node:fs';

export interface SourceEntry {
  readonly name: string;
  readonly path: string;
  readonly stat: BigIntStats;
}

export interface EntryFailure {
  readonly name: string;
  readonly path: string;
  readonly errno: string;
  readonly message: string;
}

export interface DirectoryListing {
  readonly entries: SourceEntry[];
  readonly failures: EntryFailure[];
}

/** Limits concurrent file system calls across the whole walk. */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];
  constructor(n: number) {
    this.available = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.available > 0) this.available--;
    else await new Promise<void>((r) => this.waiters.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiters.shift();
      if (next !== undefined) next();
      else this.available++;
    }
  }
}

export async function readSourceDirectory(dir: string, fsLimit: Semaphore): Promise<DirectoryListing> {
  const names = await fsLimit.run(() => readdir(dir));
  const entries: SourceEntry[] = [];
  const failures: EntryFailure[] = [];
  await Promise.all(names.map(async (name) => {
    const path = join(dir, name);
    try {
      const stat = await fsLimit.run(() => lstat(path, { bigint: true }));
      entries.push({ name, path, stat });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      failures.push({ name, path, errno: err.code ?? 'EIO', message: err.message });
    }
  }));
  return { entries, failures };
}
