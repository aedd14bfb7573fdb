// A throw-away containerd (Debian's containerd 1.6 + runc) for the image test: its own root, state, socket,
// runc root, FIFO directory and cgroup names, all under one temporary directory, so it neither sees nor
// disturbs another containerd on the machine (such as the test cluster's). stop() leaves nothing behind even
// after a failure: runc containers are force-deleted, leftover shims killed by pid, containerd stopped,
// mounts under the directory detached, the cgroups it named removed, the directory deleted. The one thing
// outside the directory is containerd 1.6's fixed shim socket directory /run/containerd/s: our sockets
// there are removed, and the directory too when this run created it and it is empty.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findExecutable } from '../support/tools.ts';

export const CONTAINERD_TOOLS = ['containerd', 'ctr', 'runc', 'containerd-shim-runc-v2'] as const;

/** The tools this needs, or the first one missing (root is needed too: containerd mounts and makes cgroups). */
export function containerdTools(): { readonly missing?: string; readonly paths: Readonly<Record<string, string>> } {
  const paths: Record<string, string> = {};
  for (const tool of CONTAINERD_TOOLS) {
    const found = findExecutable(`/usr/bin/${tool}`, tool) ?? findExecutable(`/usr/sbin/${tool}`, tool);
    if (found === undefined) return { missing: tool, paths };
    paths[tool] = found;
  }
  if (process.getuid?.() !== 0) return { missing: 'root privileges', paths };
  return { paths };
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly image: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** `--mount` values, e.g. type=bind,src=/x,dst=/data,options=rbind:rw */
  readonly mounts?: readonly string[];
  readonly readOnly?: boolean;
}

export interface PrivateContainerd {
  readonly dir: string;
  readonly address: string;
  /** `ctr --address ... -n k8s.io <args>`; resolves with the exit code (never rejects on a non-zero one). */
  ctr(args: readonly string[], timeoutMs?: number): Promise<ExecResult>;
  /** `ctr run --rm` of a fresh container; resolves with the container's exit code and output. */
  run(o: RunOptions): Promise<ExecResult>;
  stop(): Promise<void>;
  /** What stop() must have removed and is still there: processes, mounts, directories, sockets, cgroups. */
  leftovers(): Promise<string[]>;
}

const NAMESPACE = 'k8s.io';
const SHIM_SOCKET_DIR = '/run/containerd/s';

function exec(file: string, args: readonly string[], timeoutMs = 120_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr: error !== null && code === -1 ? `${stderr}${error.message}` : stderr });
    });
  });
}

function configToml(dir: string, address: string): string {
  return [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    // No CRI (it wants CAP_SYS_RESOURCE for oom_score_adj), no /opt, no snapshotters this host cannot use.
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '[grpc]',
    `  address = "${address}"`,
    '[ttrpc]',
    `  address = "${address}.ttrpc"`,
    '',
  ].join('\n');
}

/** Resolves once containerd logs that it booted; rejects when it exits first or takes too long. */
function waitForBoot(child: ChildProcess, log: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`containerd did not boot within ${timeoutMs} ms:\n${log.slice(-10).join('\n')}`)), timeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log.push(...chunk.split('\n').filter((l) => l !== ''));
      if (chunk.includes('containerd successfully booted')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`containerd exited (${signal ?? code}) before booting:\n${log.slice(-10).join('\n')}`));
    });
  });
}

/** Pids of processes whose command line mentions `needle` (our shims carry our socket address). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(needle))) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Mount points at or under `dir`, deepest first (mountinfo escapes spaces etc. as octal). */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

export async function startPrivateContainerd(): Promise<PrivateContainerd> {
  const tools = containerdTools();
  if (tools.missing !== undefined) throw new Error(`cannot start containerd: ${tools.missing} is missing`);
  const bin = tools.paths;
  const dir = await mkdtemp(join(tmpdir(), 'cairn-ctrd-'));
  const address = join(dir, 'containerd.sock');
  const runcRoot = join(dir, 'runc');
  const fifoDir = join(dir, 'fifo');
  const prefix = `cairn-image-itest-${randomBytes(4).toString('hex')}`;
  /** Container ids handed out; each is also its cgroup name (one level, so runc removes it whole). */
  const ids: string[] = [];
  // The shims create these if absent; remove them again only then, and only when empty (another
  // containerd on the machine, such as the test cluster's, may be using them).
  const sharedDirsWeCreate = [SHIM_SOCKET_DIR, dirname(SHIM_SOCKET_DIR)].filter((d) => !existsSync(d));
  await mkdir(runcRoot);
  await mkdir(fifoDir);
  await writeFile(join(dir, 'config.toml'), configToml(dir, address));
  const log: string[] = [];
  const child = spawn(bin['containerd']!, ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ctr = (args: readonly string[], timeoutMs?: number): Promise<ExecResult> => exec(bin['ctr']!, ['--address', address, '-n', NAMESPACE, ...args], timeoutMs);
  // containerd 1.6 puts shim sockets in /run/containerd/s/<sha256(address/namespace/id)> whatever its
  // state directory is; a killed shim leaves its socket behind. (The shared directory itself stays.)
  const shimSockets = (): string[] => ids.map((id) => join(SHIM_SOCKET_DIR, createHash('sha256').update(join(address, NAMESPACE, id)).digest('hex')));
  const cgroupDirs = async (): Promise<string[]> => {
    const controllers = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
    return controllers.flatMap((c) => ids.map((id) => join('/sys/fs/cgroup', c, id)));
  };

  /** Pids in our containers' cgroups: container processes that outlived their shim. */
  const containerPids = async (): Promise<number[]> => {
    const pids = new Set<number>();
    for (const cgroup of await cgroupDirs()) {
      const procs = await readFile(join(cgroup, 'cgroup.procs'), 'utf8').catch(() => '');
      for (const p of procs.split('\n').filter((l) => l !== '')) pids.add(Number(p));
    }
    return [...pids];
  };

  const stop = async (): Promise<void> => {
    // Containers first (the shim runs runc with --root <runc root>/<namespace>), then whatever still runs:
    // shims and ctr clients (they name our socket) and container processes (in our cgroups).
    const runc = (...args: string[]): Promise<ExecResult> => exec(bin['runc']!, ['--root', join(runcRoot, NAMESPACE), ...args]);
    const list = await runc('list', '-q');
    for (const id of list.stdout.split('\n').filter((l) => l !== '')) await runc('delete', '--force', id);
    for (const pid of [...pidsMentioning(address), ...(await containerPids())]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    for (const point of mountsUnder(dir)) await exec('umount', ['--lazy', point]);
    for (const socket of shimSockets()) await rm(socket, { force: true });
    for (const d of sharedDirsWeCreate) await rmdir(d).catch(() => undefined);
    // A killed process leaves its cgroup only once the kernel has reaped it.
    const deadline = Date.now() + 10_000;
    while ((await containerPids()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const cgroup of await cgroupDirs()) await rmdir(cgroup).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };

  const leftovers = async (): Promise<string[]> => [
    ...[...pidsMentioning(address), ...(await containerPids())].map((pid) => `process ${pid}`),
    ...mountsUnder(dir).map((m) => `mount ${m}`),
    ...[dir, ...shimSockets(), ...(await cgroupDirs())].filter((p) => existsSync(p)),
  ];

  try {
    await waitForBoot(child, log, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    dir,
    address,
    ctr,
    stop,
    leftovers,
    run(o) {
      const id = `${prefix}-${ids.length + 1}`;
      ids.push(id);
      const args = ['run', '--rm', '--runc-root', runcRoot, '--fifo-dir', fifoDir, '--cgroup', `/${id}`];
      if (o.readOnly === true) args.push('--read-only');
      for (const [k, v] of Object.entries(o.env ?? {})) args.push('--env', `${k}=${v}`);
      for (const m of o.mounts ?? []) args.push('--mount', m);
      return ctr([...args, o.image, id, ...o.args]);
    },
  };
}
