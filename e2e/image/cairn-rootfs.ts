// Stages the Cairn image's root filesystem from local files, as two layer directories:
//   base  the host's (Debian 12) shared libraries that node, zstd-napi's binding and /usr/bin/env load,
//         Node from the `node` npm package at /usr/local/bin/node, /usr/bin/env (bin/cairn.mjs's shebang),
//         passwd/group with 65532, nsswitch.conf, the CA bundle, /tmp (1777), `cairn` on PATH;
//   app   /app as the Dockerfile lays it out: package.json, bin, mover/src, operator/src without tests,
//         and the production node_modules (package-lock.json minus dev), zstd-napi with its compiled binding.
// Modes are normalised (no group/world write, everything readable) so uid 65532 can read what root staged.
import { constants } from 'node:fs';
import { access, chmod, copyFile, cp, lstat, mkdir, readdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { APP_DIR, APP_EXCLUDES, APP_SOURCES, CA_BUNDLE, CAIRN_LINK, GROUP_ENTRY, NODE_PATH, PASSWD_ENTRY } from './cairn-image.ts';
import { installedProductionPackages } from './production-packages.ts';
import { copyLibraries, sharedLibraries } from './shared-libraries.ts';

/** Of zstd-napi's build directory only the compiled binding ships (the Dockerfile deletes the rest too). */
export const ZSTD_BINDING = 'node_modules/zstd-napi/build/Release/binding.node';
const ENV_BINARY = '/usr/bin/env';

export interface StagedRootfs {
  readonly base: string;
  readonly app: string;
}

async function mustExist(path: string, fix: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new Error(`${path} is missing; ${fix}`);
  }
}

async function stageBase(repoRoot: string, base: string): Promise<void> {
  const node = await realpath(join(repoRoot, 'node_modules', 'node', 'bin', 'node'));
  const binding = join(repoRoot, ZSTD_BINDING);
  await mustExist(node, 'run `npm ci` (the `node` devDependency provides Node 24)');
  await mustExist(binding, 'run `npm ci` with python3, make and g++ installed so zstd-napi is compiled');
  await mustExist(CA_BUNDLE, 'install Debian\'s ca-certificates package');
  // Debian 12 is merged-/usr: the top-level directories are symlinks into /usr.
  for (const d of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64', 'usr/local/bin', 'etc/ssl/certs', 'proc', 'sys', 'dev', 'run', 'tmp']) {
    await mkdir(join(base, d), { recursive: true });
  }
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) await symlink(`usr/${d}`, join(base, d));
  await copyLibraries(await sharedLibraries([node, binding, ENV_BINARY]), base);
  await copyFile(node, join(base, NODE_PATH));
  await copyFile(ENV_BINARY, join(base, ENV_BINARY));
  await symlink(CAIRN_LINK.target, join(base, CAIRN_LINK.path));
  await copyFile(CA_BUNDLE, join(base, CA_BUNDLE));
  await writeFile(join(base, 'etc/passwd'), `root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n${PASSWD_ENTRY}\n`);
  await writeFile(join(base, 'etc/group'), `root:x:0:\nnogroup:x:65534:\n${GROUP_ENTRY}\n`);
  // glibc 2.36 has the files and dns sources built in; no NSS modules to copy.
  await writeFile(join(base, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n');
}

/**
 * A .dockerignore pattern as a RegExp over the whole relative path: a leading `**` segment is any number of
 * directories, `*` any run of characters within one name. (path.matchesGlob does this too, but is still experimental in
 * Node 24.9 and warns on every run.)
 */
export function ignorePatternRegExp(pattern: string): RegExp {
  const body = pattern
    .split(/(\*\*\/|\*)/)
    .map((part) => (part === '**/' ? '(?:[^/]+/)*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

const EXCLUDE_REGEXPS = APP_EXCLUDES.map(ignorePatternRegExp);

/** Whether `rel` (a path relative to the repository root) is one of the things that never ship. */
export function isExcluded(rel: string): boolean {
  const posix = rel.split(sep).join('/');
  return EXCLUDE_REGEXPS.some((re) => re.test(posix));
}

async function stageApp(repoRoot: string, app: string): Promise<void> {
  const appDir = join(app, APP_DIR);
  for (const source of APP_SOURCES) {
    await cp(join(repoRoot, source), join(appDir, source), {
      recursive: true,
      filter: (src) => !isExcluded(relative(repoRoot, src)),
    });
  }
  const modules = await realpath(join(repoRoot, 'node_modules'));
  for (const pkg of await installedProductionPackages(repoRoot)) {
    const from = join(modules, relative('node_modules', pkg));
    await cp(from, join(appDir, pkg), {
      recursive: true,
      // Nested node_modules are packages of their own (copied when the lockfile lists them as production).
      filter: (src) => {
        const rel = relative(from, src);
        if (rel === 'node_modules' || rel.startsWith(`node_modules${sep}`)) return false;
        const inApp = join(pkg, rel);
        if (inApp.startsWith(`node_modules${sep}zstd-napi${sep}build${sep}`)) return inApp === ZSTD_BINDING || ZSTD_BINDING.startsWith(`${inApp}${sep}`);
        return true;
      },
    });
  }
}

/** Drops group/world write and makes everything readable (and directories searchable); /tmp stays 1777. */
async function normaliseModes(root: string, tmp: string | undefined): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        await chmod(path, path === tmp ? 0o1777 : 0o755);
        await walk(path);
      } else {
        const mode = (await lstat(path)).mode & 0o777;
        await chmod(path, mode & 0o100 ? 0o755 : 0o644);
      }
    }
  };
  await chmod(root, 0o755);
  await walk(root);
}

/** Stages both layers under `workDir` (which must be empty or absent). */
export async function stageCairnRootfs(repoRoot: string, workDir: string): Promise<StagedRootfs> {
  const base = join(workDir, 'base');
  const app = join(workDir, 'app');
  await mkdir(base, { recursive: true });
  await mkdir(app, { recursive: true });
  await stageBase(repoRoot, base);
  await stageApp(repoRoot, app);
  await normaliseModes(base, join(base, 'tmp'));
  await normaliseModes(app, undefined);
  await mustExist(join(app, APP_DIR, ZSTD_BINDING), 'the zstd-napi binding was not staged');
  return { base, app };
}

/** package.json's pinned Node version (the `node` devDependency): what the image's node must report. */
export async function pinnedNodeVersion(repoRoot: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const v = pkg.devDependencies?.['node'];
  if (v === undefined) throw new Error(`${join(repoRoot, 'package.json')} has no \`node\` devDependency`);
  return v;
}
