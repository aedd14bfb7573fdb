// `cairn snapshot create PATH`: one snapshot of a directory. Exit 0 when every file was stored, 3 (partial)
// when some could not be read — the snapshot is still committed and lists the skipped paths. Interrupted
// (130), it commits nothing; the next run reuses the packs it uploaded.
import { runFrom, type Command } from '../command.ts';

export const snapshotCreate: Command = {
  name: 'snapshot create',
  summary: 'snapshot a directory (unchanged files are reused from the previous snapshot of the same source)',
  args: 'PATH',
  minArgs: 1,
  maxArgs: 1,
  opensRepository: true,
  options: {
    source: { type: 'string', description: 'source identity USER@HOST:/path (default: this user, host and PATH)', valueName: 'ID' },
    exclude: { type: 'string', multiple: true, description: 'gitignore-style pattern to leave out', valueName: 'PATTERN' },
    compression: { type: 'string', description: 'compressor for file data (default: the stored policy, else zstd); none to store as is', valueName: 'NAME' },
    tag: { type: 'string', multiple: true, description: 'tag KEY=VALUE stored with the snapshot', valueName: 'KV' },
    description: { type: 'string', description: 'free-text description', valueName: 'TEXT' },
    parallel: { type: 'string', description: 'hashing workers (default: number of cores)', valueName: 'N' },
    'full-scan': { type: 'boolean', description: 'read every file even if unchanged since the previous snapshot' },
  },
  run: runFrom(() => import('./run/snapshot-create.ts')),
};
