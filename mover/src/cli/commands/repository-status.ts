// `cairn repository status`: what the repository is and how big.
import { runFrom, type Command } from '../command.ts';

export const repositoryStatus: Command = {
  name: 'repository status',
  summary: 'show the repository format, contents and snapshot count',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {},
  run: runFrom(() => import('./run/repository-status.ts')),
};
