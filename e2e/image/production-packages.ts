// The packages `npm ci --omit=dev` installs, read from package-lock.json (lockfile v2/v3 "packages"): every
// node_modules/... entry that is not marked dev. The Dockerfile runs exactly that npm ci, so copying these
// directories out of an installed node_modules gives the same tree without the network.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface LockPackage {
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly link?: boolean;
}

interface Lockfile {
  readonly lockfileVersion?: number;
  readonly packages?: Readonly<Record<string, LockPackage>>;
}

/** Paths relative to the project root (node_modules/a, node_modules/a/node_modules/b), sorted. */
export function productionPackagePaths(lock: Lockfile, lockPath = 'package-lock.json'): string[] {
  if (lock.packages === undefined || (lock.lockfileVersion ?? 0) < 2) {
    throw new Error(`${lockPath} has no "packages" map (lockfileVersion ${lock.lockfileVersion ?? '?'}); regenerate it with npm 7 or later`);
  }
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && p.dev !== true)
    .map(([path, p]) => {
      if (p.link === true) throw new Error(`${lockPath}: ${path} is a link (a workspace); the image builder copies installed packages only`);
      return path;
    })
    .sort();
}

/**
 * The production packages installed under `root`. An optional package that npm did not install (another
 * platform's binary) is skipped; any other missing one means node_modules is stale.
 */
export async function installedProductionPackages(root: string): Promise<string[]> {
  const lockPath = join(root, 'package-lock.json');
  const lock = JSON.parse(await readFile(lockPath, 'utf8')) as Lockfile;
  const out: string[] = [];
  for (const path of productionPackagePaths(lock, lockPath)) {
    if (existsSync(join(root, path))) out.push(path);
    else if (lock.packages?.[path]?.optional !== true) throw new Error(`${join(root, path)} is missing; run \`npm ci\` first`);
  }
  return out;
}
