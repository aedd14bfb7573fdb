// `cairn snapshot expire`: applies retention. Without --apply it only prints what it would delete and why
// every other snapshot is kept. The policy is the --keep-* flags (read literally: counts not given are 0)
// or, without flags, each source's stored policy (kopia policy manifests, kopia's defaults underneath).
// Periods are read in --time-zone; without it kopia's calendar in this machine's zone, so the result
// matches `kopia snapshot expire` here. A plan that deletes every snapshot of a source needs
// --allow-delete-all. Storage that refuses deletes is reported (APPEND_ONLY) before anything changes.
import { runFrom, type Command } from '../command.ts';
import { RETENTION_OPTIONS } from '../retention-flags.ts';

export const snapshotExpire: Command = {
  name: 'snapshot expire',
  summary: 'delete snapshots the retention policy no longer keeps (dry run unless --apply)',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {
    source: { type: 'string', description: 'only snapshots of USER@HOST:/path (default: every source)', valueName: 'ID' },
    ...RETENTION_OPTIONS,
    'time-zone': { type: 'string', description: 'IANA zone the hours, days, weeks, months and years are read in (default: this machine\'s, as kopia)', valueName: 'TZ' },
    apply: { type: 'boolean', description: 'really delete (default: only show what would be deleted)' },
    'allow-delete-all': { type: 'boolean', description: 'allow deleting every snapshot of a source' },
  },
  run: runFrom(() => import('./run/snapshot-expire.ts')),
};
