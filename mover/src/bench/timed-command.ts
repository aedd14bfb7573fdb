// Runs one command under GNU time (`/usr/bin/time -v`) and returns its wall time and peak RSS. Output goes to
// a log file; a command that is still running when the bench cleans up (signal, failure) is killed.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { assertNotStopping, waitTracked } from './cleanup.ts';

export interface TimedResult {
  readonly ok: boolean;
  readonly exitCode: number | null;
  /** Set when the command (or, with a prefix, the whole chain) ended by a signal, e.g. SIGKILL from the OOM killer. */
  readonly signal: string | null;
  readonly wallSeconds: number;
  /** Peak RSS of the command as GNU time reports it (also when it was killed); undefined if time did not report. */
  readonly maxRssBytes: number | undefined;
  /** User plus system CPU time of the command as GNU time reports it; undefined if time did not report. */
  readonly cpuSeconds: number | undefined;
  readonly log: string;
}

export interface TimedOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Runs before time, e.g. a shell that moves itself into a cgroup and execs the rest. */
  readonly prefix?: readonly string[];
  /** Where the command's stdout+stderr and time's report go (LOG and LOG.time). */
  readonly log: string;
}

export async function timedCommand(cmd: readonly string[], options: TimedOptions): Promise<TimedResult> {
  assertNotStopping();
  const timeFile = `${options.log}.time`;
  const argv = [...(options.prefix ?? []), '/usr/bin/time', '-v', '-o', timeFile, ...cmd];
  const fd = openSync(options.log, 'w');
  const started = process.hrtime.bigint();
  let exitCode: number | null;
  let signal: string | null;
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', fd, fd], env: options.env ?? process.env, cwd: options.cwd, detached: true,
    });
    [exitCode, signal] = await waitTracked(child, cmd.join(' '));
  } finally {
    closeSync(fd);
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  let report = '';
  try {
    report = readFileSync(timeFile, 'utf8');
  } catch {
    // time itself was killed: no report
  }
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
  const user = /User time \(seconds\): ([\d.]+)/.exec(report);
  const system = /System time \(seconds\): ([\d.]+)/.exec(report);
  const killedBy = /Command terminated by signal (\d+)/.exec(report);
  const status = /Exit status: (\d+)/.exec(report);
  const innerSignal = killedBy === null ? null : signalName(Number(killedBy[1]));
  const innerExit = status === null ? exitCode : Number(status[1]);
  return {
    ok: exitCode === 0 && signal === null && innerSignal === null,
    exitCode: innerSignal === null ? innerExit : null,
    signal: signal ?? innerSignal,
    wallSeconds,
    maxRssBytes: rss === null ? undefined : Number(rss[1]) * 1024,
    cpuSeconds: user === null || system === null ? undefined : Number(user[1]) + Number(system[1]),
    log: options.log,
  };
}

function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
}

/** The last lines of a command's log, for a failure message. */
export function logTail(log: string, lines = 15): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Throws with the log's tail when a command that must work (an init, a generator) did not. */
export function mustSucceed(label: string, r: TimedResult): TimedResult {
  if (!r.ok) {
    const how = r.signal !== null ? `was killed by ${r.signal}` : `exited with ${r.exitCode}`;
    throw new Error(`${label} ${how} (log: ${r.log}):\n${logTail(r.log)}`);
  }
  return r;
}
