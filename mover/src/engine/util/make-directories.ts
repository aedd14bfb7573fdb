// `mkdir -p` that always terminates. Node's own `mkdir(path, { recursive: true })` spins forever at 100%
// CPU when a component cannot be created although its parent exists (e.g. /proc/x: mkdir says ENOENT, the
// parent is there, so it tries again); here each missing component is created once, parent first, and any
// failure is thrown as it is (the caller maps the errno), so the work is bounded by the path's depth.
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * Creates `path` and its missing parents; returns the first directory it created (undefined if none).
 * `exactMode` gives each created directory exactly `mode` (chmod after mkdir), so the umask cannot take the
 * group's write bit or the setgid bit off a directory shared with a group.
 */
export async function makeDirectories(path: string, mode = 0o777, options: { readonly exactMode?: boolean } = {}): Promise<string | undefined> {
  const missing: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    try {
      if ((await stat(dir)).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: dir });
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT' || dirname(dir) === dir) throw e;
      missing.push(dir);
    }
  }
  missing.reverse();
  for (const dir of missing) {
    try {
      await mkdir(dir, { mode });
    } catch (e) {
      // created concurrently by someone else: fine if it is a directory now
      if (errnoOf(e) !== 'EEXIST' || !(await stat(dir)).isDirectory()) throw e;
      continue;
    }
    if (options.exactMode === true) await chmod(dir, mode);
  }
  return missing[0];
}
