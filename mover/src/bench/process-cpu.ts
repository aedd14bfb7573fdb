// CPU time another process has used so far (user + system), from /proc/PID/stat: the bench's S3 run charges
// MinIO's share of the machine to each step, so that what limits cairn there is measured, not guessed.
import { readFileSync } from 'node:fs';
import { procStatFields, statCpuSeconds } from '../../../e2e/support/proc-stat.ts';

/** Seconds of CPU `pid` has used, or undefined when /proc does not say (not Linux, process gone). */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return statCpuSeconds(procStatFields(stat));
}
