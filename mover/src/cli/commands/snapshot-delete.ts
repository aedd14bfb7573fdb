// `cairn snapshot delete ID`: deletes one snapshot manifest (a full ID or an unambiguous prefix). Its data
// is freed by the next full maintenance once no other snapshot uses it. Refused on storage without
// delete permission (APPEND_ONLY), before anything changes.
import { runFrom, type Command } from '../command.ts';

export const snapshotDelete: Command = {
  name: 'snapshot delete',
  summary: 'delete one snapshot (its data goes at the next full maintenance)',
  args: 'ID',
  minArgs: 1,
  maxArgs: 1,
  opensRepository: true,
  options: {
    source: { type: 'string', description: 'only match snapshots of USER@HOST:/path (for ID prefixes)', valueName: 'ID' },
  },
  run: runFrom(() => import('./run/snapshot-delete.ts')),
};
