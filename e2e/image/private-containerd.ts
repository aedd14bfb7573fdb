// A throw-away containerd (Debian's containerd 1.6 + runc) for the image test: its own root, state, socket,
// runc root, FIFO directory and cgroup names, all under one temporary directory, so it neither sees nor
// disturbs another containerd on the machine (such as the test cluster's). stop() leaves nothing behind even
// after a failure: runc containers are force-deleted, leftover shims killed by pid, containerd stopped,
// mounts under the directory detached, the cgroups it named removed, the directory deleted.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
}

const NAMESPACE = 'k8s.io';

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
  const cgroupPrefix = `cairn-image-itest-${randomBytes(4).toString('hex')}`;
  let containers = 0;
  await mkdir(runcRoot);
  await mkdir(fifoDir);
  await writeFile(join(dir, 'config.toml'), configToml(dir, address));
  const log: string[] = [];
  const child = spawn(bin['containerd']!, ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ctr = (args: readonly string[], timeoutMs?: number): Promise<ExecResult> => exec(bin['ctr']!, ['--address', address, '-n', NAMESPACE, ...args], timeoutMs);

  const stop = async (): Promise<void> => {
    // Containers first (kills their processes, removes their cgroups), then any shim still holding on.
    const list = await exec(bin['runc']!, ['--root', runcRoot, 'list', '-q']);
    for (const id of list.stdout.split('\n').filter((l) => l !== '')) await exec(bin['runc']!, ['--root', runcRoot, 'delete', '--force', id]);
    for (const pid of pidsMentioning(address)) {
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
    for (const controller of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      for (let i = 1; i <= containers; i++) await rmdir(join('/sys/fs/cgroup', controller, `${cgroupPrefix}-${i}`)).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  };

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
    run(o) {
      containers += 1;
      const id = `${cgroupPrefix}-${containers}`;
      const args = ['run', '--rm', '--runc-root', runcRoot, '--fifo-dir', fifoDir, '--cgroup', `/${id}`];
      if (o.readOnly === true) args.push('--read-only');
      for (const [k, v] of Object.entries(o.env ?? {})) args.push('--env', `${k}=${v}`);
      for (const m of o.mounts ?? []) args.push('--mount', m);
      return ctr([...args, o.image, id, ...o.args]);
    },
  };
}
