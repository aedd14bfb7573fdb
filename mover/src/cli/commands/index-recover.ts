// `cairn index recover [--commit]`: rebuilds lost index entries from the packs' own local indexes, as
// `kopia index recover` does (engine/maintenance/index-recovery.ts). Without --commit it only reports what
// it would add (and writes nothing); with --commit the entries go into one new index blob, after which
// `cairn snapshot list` (and kopia) see the snapshots whose manifests were in the recovered packs.
// `repository check`, `snapshot list` and maintenance point here when packs hold contents no index knows.
import { runFrom, type Command } from '../command.ts';

export const indexRecover: Command = {
  name: 'index recover',
  summary: 'rebuild lost index entries from the packs (kopia index recover); --commit writes them',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {
    commit: { type: 'boolean', description: 'write the recovered entries (without it: report only, nothing written)' },
  },
  run: runFrom(() => import('./run/index-recover.ts')),
};
