// `cairn snapshot restore (ID|latest) TARGET`: brings a snapshot back into a directory. Refuses a
// non-empty target unless --overwrite; files appear under their final name only when complete.
import { runFrom, type Command } from '../command.ts';

export const snapshotRestore: Command = {
  name: 'snapshot restore',
  summary: 'restore a snapshot (ID, ID prefix, or "latest") into TARGET',
  args: '(ID|latest) TARGET',
  minArgs: 2,
  maxArgs: 2,
  opensRepository: true,
  options: {
    source: { type: 'string', description: 'source USER@HOST:/path for "latest" and ID prefixes (default: the newest snapshot of any source)', valueName: 'ID' },
    'as-of': { type: 'string', description: 'with "latest": the newest snapshot taken at or before this RFC 3339 time', valueName: 'TIME' },
    path: { type: 'string', multiple: true, description: 'restore only this sub-path of the snapshot', valueName: 'SUBPATH' },
    overwrite: { type: 'boolean', description: 'allow a non-empty target; existing files are replaced' },
    parallel: { type: 'string', description: 'parallel pack reads (default 8 from S3, 6 from a filesystem; fewer under a small --memory-limit)', valueName: 'N' },
  },
  run: runFrom(() => import('./run/snapshot-restore.ts')),
};
