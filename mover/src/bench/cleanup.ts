// Everything a bench run leaves behind (scratch dirs, MinIO, memory cgroups) is registered here and undone in
// reverse order: when the run finishes, when it fails, and on SIGINT/SIGTERM/SIGHUP.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Undo = () => Promise<void> | void;
const undos: { label: string; undo: Undo }[] = [];

/** Registers an undo step; the returned function runs it now (once) and unregisters it. */
export function onCleanup(label: string, undo: Undo): () => Promise<void> {
  const entry = { label, undo };
  undos.push(entry);
  return async () => {
    const i = undos.indexOf(entry);
    if (i < 0) return;
    undos.splice(i, 1);
    await entry.undo();
  };
}

/** Runs every registered undo step, newest first; a failing step is reported and the rest still run. */
export async function cleanupAll(): Promise<void> {
  while (undos.length > 0) {
    const { label, undo } = undos.pop()!;
    try {
      await undo();
    } catch (e) {
      console.error(`bench: cleanup of ${label} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

let installed = false;
/** On a signal: undo everything, then exit with 128 + the signal number. */
export function cleanupOnSignals(): void {
  if (installed) return;
  installed = true;
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const [sig, code] of Object.entries(codes)) {
    process.once(sig, () => {
      console.error(`bench: ${sig}, cleaning up`);
      void cleanupAll().finally(() => process.exit(code));
    });
  }
}

/** A fresh ${TMPDIR:-/tmp}/cairn-bench-NAME-XXXXXX, removed by the returned undo and by cleanupAll. */
export async function scratchDir(name: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(process.env['TMPDIR'] ?? tmpdir(), `cairn-bench-${name}-`));
  const remove = onCleanup(dir, () => rm(dir, { recursive: true, force: true }));
  return { dir, remove };
}
