// A directory under the temp dir that every uid may write (mode 1777, like /tmp): test runs of the CLI may drop
// privileges and still need it. Made once per process and name.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Map<string, string>();

export function sharedTmpDir(name: string): string {
  let dir = made.get(name);
  if (dir === undefined) {
    dir = join(tmpdir(), name);
    mkdirSync(dir, { recursive: true, mode: 0o1777 });
    made.set(name, dir);
  }
  return dir;
}
