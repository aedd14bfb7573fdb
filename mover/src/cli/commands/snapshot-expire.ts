// `cairn snapshot expire`: applies retention. Without --apply it only prints what it would delete and why
// every other snapshot is kept. The policy is the --keep-* flags (read literally: counts not given are 0)
// or, without flags, each source's stored policy (kopia policy manifests, kopia's defaults underneath).
// Periods are read in --time-zone; without it kopia's calendar in this machine's zone, so the result
// matches `kopia snapshot expire` here. A plan that deletes every snapshot of a source needs
// --allow-delete-all. Storage that refuses deletes is reported (APPEND_ONLY) before anything changes.
import { runFrom, type Command, type OptionSpec } from '../command.ts';

export const COUNT_FLAGS = [
  ['keep-latest', 'keepLatest', 'newest snapshots'],
  ['keep-hourly', 'keepHourly', 'hours with their newest snapshot'],
  ['keep-daily', 'keepDaily', 'days with their newest snapshot'],
  ['keep-weekly', 'keepWeekly', 'ISO weeks with their newest snapshot'],
  ['keep-monthly', 'keepMonthly', 'months with their newest snapshot'],
  ['keep-annual', 'keepAnnual', 'years with their newest snapshot'],
] as const;

/** The --keep-* flags shared by `snapshot expire` and `policy set`. */
export const RETENTION_OPTIONS: OptionSpec = {
  ...Object.fromEntries(COUNT_FLAGS.map(([flag, , what]) => [flag, { type: 'string' as const, description: `keep this many ${what}`, valueName: 'N' }])),
  'keep-within': { type: 'string', description: 'also keep every snapshot younger than this (e.g. 36h, 7d, 2w)', valueName: 'DURATION' },
};

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
