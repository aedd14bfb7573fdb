// `cairn snapshot list`: restore points, oldest first.
import { runFrom, type Command } from '../command.ts';

export const snapshotList: Command = {
  name: 'snapshot list',
  summary: 'list snapshots (all sources, or one with --source)',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {
    source: { type: 'string', description: 'only snapshots of USER@HOST:/path', valueName: 'ID' },
    all: { type: 'boolean', description: 'all sources (the default)' },
    'time-zone': { type: 'string', description: 'IANA zone for the retention reasons (default: kopia\'s calendar in this zone)', valueName: 'TZ' },
  },
  run: runFrom(() => import('./run/snapshot-list.ts')),
};
