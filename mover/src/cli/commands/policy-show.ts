// `cairn policy show (--global | --source …)`: the retention stored for that target and, for a source,
// the effective retention with the target each value comes from (kopia's merge; built-in defaults last).
import { TARGET_OPTIONS } from './policy-set.ts';
import { runFrom, type Command } from '../command.ts';

export const policyShow: Command = {
  name: 'policy show',
  summary: 'show the stored and effective retention policy of a target',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: { ...TARGET_OPTIONS },
  run: runFrom(() => import('./run/policy-show.ts')),
};
