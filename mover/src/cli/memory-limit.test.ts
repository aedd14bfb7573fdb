import { describe, expect, it } from 'vitest';
import { totalmem } from 'node:os';
import { cgroupMemoryLimit, memoryLimit, parseByteSize, type TextReader } from './memory-limit.ts';

const files = (map: Record<string, string>): TextReader => (p) => map[p];
const MiB = 1024 * 1024;

describe('memory limit', () => {
  it('parses Kubernetes quantities and IEC/SI units, and names the flag when it cannot', () => {
    expect(parseByteSize('256Mi', '--memory-limit')).toBe(256 * MiB);
    expect(parseByteSize('1.5GiB', '--memory-limit')).toBe(1.5 * 1024 * MiB);
    expect(parseByteSize('1G', '--memory-limit')).toBe(1e9);
    expect(parseByteSize(String(300 * MiB), '--memory-limit')).toBe(300 * MiB);
    expect(() => parseByteSize('lots', '--memory-limit')).toThrow(/--memory-limit "lots" is not a size/);
    expect(() => parseByteSize('16Mi', 'CAIRN_MEMORY_LIMIT')).toThrow(/CAIRN_MEMORY_LIMIT 16Mi is below/);
  });

  it('reads cgroup v1 hierarchical_memory_limit, also when the controller is mounted at the container cgroup', () => {
    const self = '4:memory:/kubepods/burstable/pod1/c1\n3:cpu:/x\n';
    expect(cgroupMemoryLimit(files({
      '/proc/self/cgroup': self,
      '/sys/fs/cgroup/memory/kubepods/burstable/pod1/c1/memory.stat': 'cache 0\nhierarchical_memory_limit 268435456\n',
    }))).toEqual({ bytes: 256 * MiB, source: 'cgroup v1 /kubepods/burstable/pod1/c1' });
    expect(cgroupMemoryLimit(files({
      '/proc/self/cgroup': self,
      '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912\n',
    }))?.bytes).toBe(512 * MiB);
    expect(cgroupMemoryLimit(files({
      '/proc/self/cgroup': '4:memory:/\n',
      '/sys/fs/cgroup/memory/memory.stat': 'hierarchical_memory_limit 9223372036854771712\n',
    }))).toBeUndefined();
  });

  it('takes the tightest cgroup v2 memory.max up the hierarchy', () => {
    expect(cgroupMemoryLimit(files({
      '/proc/self/cgroup': '0::/kubepods/pod1/c1\n',
      '/sys/fs/cgroup/kubepods/pod1/c1/memory.max': 'max\n',
      '/sys/fs/cgroup/kubepods/pod1/memory.max': '201326592\n',
      '/sys/fs/cgroup/kubepods/memory.max': '1073741824\n',
    }))).toEqual({ bytes: 192 * MiB, source: 'cgroup v2 /kubepods/pod1' });
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': '300000000\n' }))?.bytes).toBe(300_000_000);
  });

  it('prefers the flag, then the environment, then the cgroup, capped by physical memory', () => {
    const cg = files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': String(200 * MiB) });
    expect(memoryLimit('1Gi', '512Mi', cg)).toEqual({ bytes: 1024 * MiB, source: '--memory-limit' });
    expect(memoryLimit(undefined, '512Mi', cg)).toEqual({ bytes: 512 * MiB, source: 'CAIRN_MEMORY_LIMIT' });
    expect(memoryLimit(undefined, undefined, cg)).toEqual({ bytes: 200 * MiB, source: 'cgroup v2 /' });
    expect(memoryLimit(undefined, '', files({}))).toEqual({ bytes: totalmem(), source: 'physical memory' });
  });
});
