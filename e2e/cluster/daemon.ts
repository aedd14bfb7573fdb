// A long-running cluster component: spawned in its own process group with its output in a log file, waited
// for by polling a readiness probe (never by sleeping a fixed time), stopped with SIGTERM then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  exitCode(): number | null;
  /** The last lines of its log (for error messages). */
  tail(lines?: number): string;
  stop(timeoutMs?: number): Promise<void>;
}

export function startDaemon(name: string, binary: string, args: readonly string[], opts: { logDir: string; env?: NodeJS.ProcessEnv }): Daemon {
  const logFile = join(opts.logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, [...args], { stdio: ['ignore', fd, fd], detached: true, env: opts.env ?? process.env });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start ${binary}`);
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('error', () => undefined);
  const tail = (lines = 25): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  return {
    name, pid, logFile, tail,
    exitCode: () => child.exitCode ?? (child.signalCode !== null ? 128 : null),
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(pid, 'SIGTERM');
      // the grace timer is cancelled once the daemon has exited: left pending, the teardown's last stops kept
      // vitest's process alive for their full 10 s after the run ("close timed out after 10000ms")
      const grace = new AbortController();
      const timedOut = delay(timeoutMs, false, { signal: grace.signal }).catch(() => true);
      const done = await Promise.race([exited.then(() => true), timedOut]);
      grace.abort();
      if (!done) {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Polls `probe` until it returns true; fails early when a watched daemon exits, with its log tail. */
export async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, opts: { timeoutMs: number; watch?: readonly Daemon[]; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    for (const d of opts.watch ?? []) {
      if (d.exitCode() !== null) throw new Error(`${what}: ${d.name} exited with code ${d.exitCode()}\n${d.tail()}`);
    }
    try {
      if (await probe()) return;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) {
      const tails = (opts.watch ?? []).map((d) => `--- ${d.name} (${d.logFile}):\n${d.tail()}`).join('\n');
      throw new Error(`${what} not ready after ${opts.timeoutMs / 1000}s${lastError === '' ? '' : ` (last error: ${lastError})`}\n${tails}`);
    }
    await delay(opts.intervalMs ?? 250);
  }
}
