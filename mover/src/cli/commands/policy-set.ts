// `cairn policy set (--global | --source USER@HOST[:/path]) --keep-… N`: stores retention in a kopia policy
// manifest for that target (global, host, user@host or a path), so `kopia policy show` reads it and
// `cairn snapshot expire` without flags applies it. keep-within is Cairn's (`retention.keepWithin`); kopia
// ignores it. --clear FIELD (e.g. --clear keep-daily) removes a setting so it is inherited again.
import { RETENTION_OPTIONS } from '../retention-flags.ts';
import { runFrom, type Command } from '../command.ts';

export const TARGET_OPTIONS = {
  global: { type: 'boolean', description: 'the global policy (applies to every source unless overridden)' },
  source: { type: 'string', description: 'the policy of USER@HOST:/path, USER@HOST or @HOST', valueName: 'ID' },
} as const;

export const policySet: Command = {
  name: 'policy set',
  summary: 'store retention settings in a kopia policy manifest (global or per source)',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {
    ...TARGET_OPTIONS,
    ...RETENTION_OPTIONS,
    clear: { type: 'string', multiple: true, description: 'remove a setting (keep-latest, ..., keep-within) so it is inherited', valueName: 'FLAG' },
  },
  run: runFrom(() => import('./run/policy-set.ts')),
};
