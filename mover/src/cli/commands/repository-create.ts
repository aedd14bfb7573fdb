// `cairn repository create`: writes kopia.blobcfg and kopia.repository at the location. Never overwrites.
import { runFrom, type Command } from '../command.ts';

export const repositoryCreate: Command = {
  name: 'repository create',
  summary: 'create a new repository at --repo (refuses if one exists)',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  options: {
    hash: { type: 'string', description: 'content hash (default HMAC-SHA256-128)', valueName: 'NAME' },
    encryption: { type: 'string', description: 'content encryption (default AES256-GCM-HMAC-SHA256)', valueName: 'NAME' },
    compression: { type: 'string', description: 'default compressor for file data, stored as the global policy (kopia reads it too)', valueName: 'NAME' },
  },
  run: runFrom(() => import('./run/repository-create.ts')),
};
