// Everything a bench run leaves behind (scratch dirs, MinIO, memory cgroups) is registered here and undone in
// reverse order: when the run finishes, when it fails, and on SIGINT/SIGTERM/SIGHUP.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Undo = () => Promise<void> | void;
const undos: { label: string; undo: Undo }[] = [];
/** Undo steps a run started itself: a signal's cleanup waits for them too before the process exits. */
const inFlight = new Set<Promise<void>>();
/** Set by a signal: the exit code the bench leaves with once cleanup is done. */
let stopping: number | undefined;

/** Registers an undo step; the returned function runs it now (once) and unregisters it. */
export function onCleanup(label: string, undo: Undo): () => Promise<void> {
  const entry = { label, undo };
  undos.push(entry);
  return async () => {
    const i = undos.indexOf(entry);
    if (i < 0) return;
    undos.splice(i, 1);
    const p = Promise.resolve().then(entry.undo);
    inFlight.add(p);
    try {
      await p;
    } finally {
      inFlight.delete(p);
    }
  };
}

/** Throws once a signal has started the cleanup, so a run unwinding from a killed step starts nothing new. */
export function assertNotStopping(): void {
  if (stopping !== undefined) throw new Error('bench: stopping on a signal');
}

/** The exit code to leave with when a signal started the cleanup, else undefined. */
export function exitCodeIfStopping(): number | undefined {
  return stopping;
}

let running: Promise<void> | undefined;
/**
 * Runs every registered undo step, newest first; a failing step is reported and the rest still run. Callers
 * that overlap (a signal while a run unwinds) share one pass, so neither returns before it is complete.
 */
export function cleanupAll(): Promise<void> {
  running ??= cleanupPass().finally(() => (running = undefined));
  return running;
}

async function cleanupPass(): Promise<void> {
  while (undos.length > 0) {
    const { label, undo } = undos.pop()!;
    try {
      await undo();
    } catch (e) {
      console.error(`bench: cleanup of ${label} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  await Promise.allSettled([...inFlight]); // steps the run had begun itself (exiting now would cut them short)
}

let installed = false;
/** On a signal: undo everything, then exit with 128 + the signal number. */
export function cleanupOnSignals(): void {
  if (installed) return;
  installed = true;
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const [sig, code] of Object.entries(codes)) {
    process.once(sig, () => {
      stopping = code;
      console.error(`bench: ${sig}, cleaning up`);
      void cleanupAll().finally(() => process.exit(code));
    });
  }
}

/** A fresh ${TMPDIR:-/tmp}/cairn-bench-NAME-XXXXXX, removed by the returned undo and by cleanupAll. */
export async function scratchDir(name: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  assertNotStopping();
  const dir = await mkdtemp(join(process.env['TMPDIR'] ?? tmpdir(), `cairn-bench-${name}-`));
  const remove = onCleanup(dir, () => rm(dir, { recursive: true, force: true, maxRetries: 3 }));
  return { dir, remove };
}

/**
 * Waits for a child spawned with `detached: true` (its own process group) to exit. Until then, cleanup kills
 * the whole group, so nothing it started (time's command, cairn under a shell) outlives the bench.
 */
export async function waitTracked(child: ChildProcess, label: string): Promise<[number | null, NodeJS.Signals | null]> {
  if (stopping !== undefined && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); // spawned as the signal came
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, sig) => resolve([code, sig]));
  });
  const stop = onCleanup(`process group ${child.pid ?? '?'} (${label.slice(0, 80)})`, async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited.catch(() => undefined);
  });
  try {
    return await exited;
  } finally {
    await stop(); // exited: nothing to kill, just unregister
  }
}
