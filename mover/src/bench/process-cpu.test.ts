import { describe, expect, it } from 'vitest';
import { processCpuSeconds } from './process-cpu.ts';

describe('processCpuSeconds', () => {
  it('reads this process\'s CPU time as process.cpuUsage does, and nothing for a process that is not there', () => {
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7; // some CPU to measure
    const own = processCpuSeconds(process.pid);
    const usage = process.cpuUsage();
    const expected = (usage.user + usage.system) / 1e6;
    expect(x).toBeGreaterThan(0);
    expect(own).toBeDefined();
    expect(Math.abs(own! - expected)).toBeLessThan(0.1); // /proc counts in clock ticks (10 ms), other threads run on
    expect(processCpuSeconds(2 ** 22 + 1)).toBeUndefined(); // above pid_max's ceiling
    expect(processCpuSeconds(undefined)).toBeUndefined();
  });
});
