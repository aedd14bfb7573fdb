// `cairn maintenance run [--full]`: quick maintenance (index compaction and epoch advance, rewrite of
// metadata out of short packs) or full maintenance (also snapshot GC, rewrite of all short packs, dropping
// deleted contents, deleting unreferenced packs and old index blobs), with kopia's safety margins.
// Refused when another client owns maintenance (MAINTENANCE_OWNED, unless --force) or storage refuses
// deletes (APPEND_ONLY); a repository without an owner is claimed by this client (`user@host`).
// Tests shorten the safety margins and stop runs at a task through the test seams of main() (a test-only
// entry point, e2e/support/cairn-test-entry.ts); the shipped CLI reads no environment switch for them.
import { runFrom, type Command } from '../command.ts';

export const maintenanceRun: Command = {
  name: 'maintenance run',
  summary: 'run quick (or --full) repository maintenance with kopia\'s safety margins',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {
    full: { type: 'boolean', description: 'full maintenance: snapshot GC, pack rewrite and deletion, index cleanup' },
    force: { type: 'boolean', description: 'run even if another client owns maintenance (unsafe while it runs)' },
    safety: { type: 'string', description: 'full (default) or none; none drops all safety margins and is only safe when no other client uses the repository', valueName: 'LEVEL' },
  },
  run: runFrom(() => import('./run/maintenance-run.ts')),
};
