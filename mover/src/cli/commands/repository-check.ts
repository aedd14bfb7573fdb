// `cairn repository check`: structural check (every index entry inside an existing pack, every snapshot
// tree complete; optionally a share of the data decrypted) and a summary of sizes, counts and what a full
// maintenance would reclaim. Read-only. Exit CORRUPT when a problem is found.
import { runFrom, type Command } from '../command.ts';

export const repositoryCheck: Command = {
  name: 'repository check',
  summary: 'check the index against the packs and every snapshot tree; summarize sizes and reclaimable space',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {
    'read-data-percent': { type: 'string', description: 'also download and decrypt this percentage of file data (0-100)', valueName: 'N' },
  },
  run: runFrom(() => import('./run/repository-check.ts')),
};
