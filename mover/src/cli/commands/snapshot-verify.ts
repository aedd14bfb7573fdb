// `cairn snapshot verify`: every snapshot's referenced data exists; with --read-data-percent, that share of
// it is downloaded and decrypted. Problems name the snapshot and the file affected.
import { runFrom, type Command } from '../command.ts';

export const snapshotVerify: Command = {
  name: 'snapshot verify',
  summary: 'check that everything the snapshots reference exists (and optionally decrypts)',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {
    source: { type: 'string', description: 'only snapshots of USER@HOST:/path', valueName: 'ID' },
    'read-data-percent': { type: 'string', description: 'download and decrypt this percentage of file data (0-100)', valueName: 'N' },
  },
  run: runFrom(() => import('./run/snapshot-verify.ts')),
};
