// Reads one directory of the source: names, then lstat of every entry. The calls are synchronous: a
// promise per lstat costs ~50 µs of main-thread time (1 s for 20k files) against ~2 µs for lstatSync on a
// warm cache; the event loop is yielded between batches so pack uploads and worker results keep flowing.
// Stats are bigint for ns mtimes.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BigIntStats } from 'node:fs';
import type { Semaphore } from '../util/semaphore.ts';

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

const BATCH = 512;

export async function readSourceDirectory(dir: string, fsLimit: Semaphore): Promise<DirectoryListing> {
  return fsLimit.run(async () => {
    const names = readdirSync(dir);
    const entries: SourceEntry[] = [];
    const failures: EntryFailure[] = [];
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % BATCH === 0) await new Promise<void>((r) => setImmediate(r));
      const name = names[i]!;
      const path = join(dir, name);
      try {
        entries.push({ name, path, stat: lstatSync(path, { bigint: true }) });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        failures.push({ name, path, errno: err.code ?? 'EIO', message: err.message });
      }
    }
    return { entries, failures };
  });
}
