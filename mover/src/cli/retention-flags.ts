// The --keep-* flags of `snapshot expire` and `policy set`: their declarations (for parsing and help) and the
// table both commands' implementations read them back by. Its own module so that a command's declaration
// and its lazily loaded implementation (commands/run/) both import it without importing each other.
import type { OptionSpec } from './option-spec.ts';

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
