// `cairn repository change-password`: re-wraps the repository key with a new password. Data is untouched.
import { runFrom, type Command } from '../command.ts';

export const repositoryChangePassword: Command = {
  name: 'repository change-password',
  summary: 'change the repository password (other clients must use the new one)',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  options: {
    'new-password-file': { type: 'string', description: 'file holding the new password (or CAIRN_NEW_PASSWORD)', valueName: 'PATH' },
  },
  run: runFrom(() => import('./run/repository-change-password.ts')),
};
