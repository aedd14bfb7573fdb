// How much memory this process may use, so a mover sizes its workers and buffers to fit instead of being
// OOM-killed: an explicit --memory-limit / CAIRN_MEMORY_LIMIT wins; otherwise the tightest memory limit of
// the cgroups this process is in (v2: memory.max of its cgroup and every ancestor; v1: the memory
// controller's hierarchical_memory_limit), capped by physical memory. Read at start-up only.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { UsageError } from '../engine/errors.ts';

export interface MemoryLimit {
  readonly bytes: number;
  /** Where the figure came from, for the log line: "--memory-limit", "cgroup v1 /kubepods/...", "physical memory". */
  readonly source: string;
}

/** Reads a file's text, or undefined when it does not exist or cannot be read. */
export type TextReader = (path: string) => string | undefined;

const readText: TextReader = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

const UNITS: Readonly<Record<string, number>> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, ki: 1024, kib: 1024, m: 1e6, mb: 1e6, mi: 1024 ** 2, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gi: 1024 ** 3, gib: 1024 ** 3,
};

/** Parses "512Mi", "256MiB", "1G", "1.5Gi" or a plain number of bytes (Kubernetes quantities and IEC units). */
export function parseByteSize(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined) {
    throw new UsageError(`${name} ${JSON.stringify(text)} is not a size`, { hint: `give bytes with an optional unit, for example ${name} 256Mi or ${name} 1G` });
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 64 * 1024 * 1024) {
    throw new UsageError(`${name} ${text} is below the 64 MiB a backup needs at least`, { hint: `give at least ${name} 64Mi (256Mi or more is comfortable)` });
  }
  return bytes;
}

/** Limits above this mean "no limit" (cgroup v1 reports ~2^63 rounded to the page size). */
const UNLIMITED = 2 ** 60;

/** The cgroup memory limit of this process, if any (exported for tests with a fake reader). */
export function cgroupMemoryLimit(read: TextReader = readText): MemoryLimit | undefined {
  const self = read('/proc/self/cgroup') ?? '';
  let best: MemoryLimit | undefined;
  const consider = (bytes: number, source: string): void => {
    if (Number.isFinite(bytes) && bytes > 0 && bytes < UNLIMITED && (best === undefined || bytes < best.bytes)) best = { bytes, source };
  };
  for (const line of self.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === '') {
      // v2: the limit of the process's cgroup and of every ancestor; in a container the namespace root is "/".
      for (let p = path; ; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
        const text = read(`/sys/fs/cgroup${p === '/' ? '' : p}/memory.max`)?.trim();
        if (text !== undefined && text !== 'max') consider(Number(text), `cgroup v2 ${p || '/'}`);
        if (p === '' || p === '/') break;
      }
    } else if (controllers!.split(',').includes('memory')) {
      // v1: hierarchical_memory_limit already folds in the ancestors. Inside a container the controller is
      // mounted at its own cgroup, so the path in /proc/self/cgroup may not exist below the mount: try both.
      for (const dir of [`/sys/fs/cgroup/memory${path === '/' ? '' : path}`, '/sys/fs/cgroup/memory']) {
        const stat = read(`${dir}/memory.stat`);
        const m = stat === undefined ? null : /^hierarchical_memory_limit (\d+)$/m.exec(stat);
        const text = m?.[1] ?? read(`${dir}/memory.limit_in_bytes`)?.trim();
        if (text !== undefined) {
          consider(Number(text), `cgroup v1 ${path}`);
          break;
        }
      }
    }
  }
  return best;
}

/** The memory budget of this run: the flag or environment, else the cgroup limit, else physical memory. */
export function memoryLimit(flag: string | undefined, env: string | undefined, read: TextReader = readText): MemoryLimit {
  if (flag !== undefined) return { bytes: parseByteSize(flag, '--memory-limit'), source: '--memory-limit' };
  if (env !== undefined && env !== '') return { bytes: parseByteSize(env, 'CAIRN_MEMORY_LIMIT'), source: 'CAIRN_MEMORY_LIMIT' };
  const physical = { bytes: totalmem(), source: 'physical memory' };
  const cgroup = cgroupMemoryLimit(read);
  return cgroup !== undefined && cgroup.bytes < physical.bytes ? cgroup : physical;
}
