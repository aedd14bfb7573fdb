// The shared libraries ELF binaries load, as the host's dynamic loader resolves them (`ldd`), and their
// copy into a root filesystem at the same canonical paths (merged /usr: /lib -> usr/lib on Debian 12).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Absolute library paths out of `ldd` output; throws naming the library ldd could not find. */
export function parseLdd(output: string, binary: string): string[] {
  const out: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('linux-vdso') || line.startsWith('statically linked')) continue;
    const notFound = /^(\S+) => not found$/.exec(line);
    if (notFound !== null) throw new Error(`${binary} needs ${notFound[1]}, which this host does not have`);
    const m = /^(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (m === null) throw new Error(`unexpected ldd output for ${binary}: ${line}`);
    out.push(m[1]!);
  }
  return out;
}

export async function sharedLibraries(binaries: readonly string[]): Promise<string[]> {
  const all = new Set<string>();
  for (const binary of binaries) {
    const { stdout } = await run('ldd', [binary]);
    for (const lib of parseLdd(stdout, binary)) all.add(lib);
  }
  return [...all].sort();
}

/**
 * Copies each library (following symlinks) into `rootfs` under its directory's canonical path and the
 * name the loader asks for: /lib/x86_64-linux-gnu/libc.so.6 -> <rootfs>/usr/lib/x86_64-linux-gnu/libc.so.6.
 * Returns the in-image paths.
 */
export async function copyLibraries(libraries: readonly string[], rootfs: string): Promise<string[]> {
  const placed: string[] = [];
  for (const lib of libraries) {
    const inImage = join(await realpath(dirname(lib)), basename(lib));
    await mkdir(join(rootfs, dirname(inImage)), { recursive: true });
    await copyFile(lib, join(rootfs, inImage));
    placed.push(inImage);
  }
  return placed;
}
