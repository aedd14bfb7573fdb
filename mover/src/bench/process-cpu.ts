// CPU time another process has used so far (user + system), from /proc/PID/stat: the bench's S3 run charges
// MinIO's share of the machine to each step, so that what limits cairn there is measured, not guessed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { procStatFields } from '../../../e2e/support/proc-stat.ts';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** Seconds of CPU `pid` has used, or undefined when /proc does not say (not Linux, process gone). */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = procStatFields(stat);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / clockTicks() : undefined;
}
