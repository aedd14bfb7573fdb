// Reading /proc/PID/stat (and /proc/PID/task/TID/stat) lines: the command name is in parentheses and may itself
// hold spaces and parentheses, so the fields start after the last ')'. Field index 0 below is the state (man
// proc: field 3), 11 utime and 12 stime (fields 14 and 15), in clock ticks.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of a stat line from the state on. */
export function procStatFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trimEnd().split(' ');
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** User + system CPU seconds from a stat line's fields, or undefined when they are not numbers. */
export function statCpuSeconds(fields: readonly string[]): number | undefined {
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / clockTicks() : undefined;
}

/** Each thread of `pid`: its name and stat fields (a thread that ends while they are read is left out). */
export function threadStats(pid: number): { name: string; fields: string[] }[] {
  const out: { name: string; fields: string[] }[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    out.push({ name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: procStatFields(stat) });
  }
  return out;
}
