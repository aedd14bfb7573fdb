// A throw-away memory cgroup with a hard limit, the way a pod's memory limit is enforced: cgroup v1
// (memory.limit_in_bytes, plus memory.memsw.limit_in_bytes so the kernel kills instead of swapping) or
// cgroup v2 (memory.max, memory.swap.max = 0). A command joins it through a shell prefix that writes its own
// PID into cgroup.procs and execs the command, so everything it starts is charged from its first byte.
// Like a container, the command then sees the cgroup as its own: a new cgroup namespace (/proc/self/cgroup
// says "/") and, in a private mount namespace, the cgroup's directory bound over the hierarchy's root, so
// /sys/fs/cgroup/memory/memory.limit_in_bytes (v1) or /sys/fs/cgroup/memory.max (v2) is the limit.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './cleanup.ts';

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';

export interface CgroupUsage {
  /** Peak charge of the cgroup (anonymous memory plus page cache it faulted in), when the kernel reports it. */
  readonly peakBytes: number | undefined;
  /** Processes the OOM killer ended inside the cgroup. */
  readonly oomKills: number | undefined;
  /** Times the limit was hit (v1 memory.failcnt or memory.memsw.failcnt, v2 memory.events "max"). */
  readonly limitHits: number | undefined;
}

export interface MemoryCgroup {
  readonly version: 1 | 2;
  readonly path: string;
  readonly swapLimited: boolean;
  /** argv prefix that runs the rest of the command inside the cgroup. */
  readonly prefix: readonly string[];
  /** Whether the command sees the cgroup as a pod would (needs util-linux unshare and root). */
  readonly podView: boolean;
  usage(): CgroupUsage;
  remove(): Promise<void>;
}

/** Why no memory cgroup can be made here, or undefined when one can. */
export function memoryCgroupUnavailable(): string | undefined {
  if (existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) return undefined;
  const controllers = join(V2_ROOT, 'cgroup.controllers');
  if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('memory')) return undefined;
  return 'no memory cgroup controller is mounted (need /sys/fs/cgroup/memory or cgroup v2 with "memory")';
}

function num(path: string): number | undefined {
  try {
    const t = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(t) ? Number(t) : undefined;
  } catch {
    return undefined;
  }
}

function keyed(path: string, key: string): number | undefined {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(path, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

export async function createMemoryCgroup(name: string, limitBytes: number): Promise<MemoryCgroup> {
  const why = memoryCgroupUnavailable();
  if (why !== undefined) throw new Error(why);
  const version = existsSync(join(V1_ROOT, 'memory.limit_in_bytes')) ? 1 : 2;
  const path = join(version === 1 ? V1_ROOT : V2_ROOT, name);
  await mkdir(path); // EACCES without root: the caller reports the run as skipped
  const remove = onCleanup(`memory cgroup ${path}`, () => removeCgroup(path, version));
  let swapLimited = false;
  try {
    if (version === 1) {
      writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
      const memsw = join(path, 'memory.memsw.limit_in_bytes');
      if (existsSync(memsw)) {
        writeFileSync(memsw, String(limitBytes)); // memory+swap = memory: no swapping, the OOM killer acts
        swapLimited = true;
      }
    } else {
      writeFileSync(join(path, 'memory.max'), String(limitBytes));
      const swap = join(path, 'memory.swap.max');
      if (existsSync(swap)) {
        writeFileSync(swap, '0');
        swapLimited = true;
      }
    }
  } catch (e) {
    await remove();
    throw e;
  }
  const podView = spawnSync('unshare', ['--version'], { stdio: 'ignore' }).status === 0;
  const mountPoint = version === 1 ? V1_ROOT : V2_ROOT;
  return {
    version, path, swapLimited, podView,
    prefix: [
      '/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', join(path, 'cgroup.procs'),
      ...(podView
        ? ['unshare', '--cgroup', '--mount', '--propagation', 'private',
            '/bin/sh', '-c', `mount --bind "$0" ${mountPoint} && exec "$@"`, path]
        : []),
    ],
    usage: () => version === 1
      ? {
          peakBytes: num(join(path, 'memory.max_usage_in_bytes')),
          oomKills: keyed(join(path, 'memory.oom_control'), 'oom_kill'),
          // with memsw limited to the same, the combined counter is the one that fails first
          limitHits: maxOf(num(join(path, 'memory.failcnt')), num(join(path, 'memory.memsw.failcnt'))),
        }
      : {
          peakBytes: num(join(path, 'memory.peak')),
          oomKills: keyed(join(path, 'memory.events'), 'oom_kill'),
          limitHits: keyed(join(path, 'memory.events'), 'max'),
        },
    remove,
  };
}

/** Kills whatever is left inside, then removes the directory (the kernel moves its charges to the parent). */
async function removeCgroup(path: string, version: 1 | 2): Promise<void> {
  if (!existsSync(path)) return;
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter((p) => p !== '').map(Number);
    if (pids.length === 0) break;
    if (version === 2 && existsSync(join(path, 'cgroup.kill'))) writeFileSync(join(path, 'cgroup.kill'), '1');
    else for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100); // the kernel empties cgroup.procs once the killed processes are reaped
  }
  await rmdir(path);
}
