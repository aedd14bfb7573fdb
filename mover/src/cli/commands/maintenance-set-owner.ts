// `cairn maintenance set-owner [USER@HOST]`: makes a client the maintenance owner (default: this one),
// rewriting the `type=maintenance` manifest as `kopia maintenance set --owner=…` does. Only the owner runs
// maintenance, so hand over only once the previous owner (Cairn or kopia) has stopped running it.
import { runFrom, type Command } from '../command.ts';

export const maintenanceSetOwner: Command = {
  name: 'maintenance set-owner',
  summary: 'make USER@HOST (default: this client) the only one that runs maintenance',
  args: '[USER@HOST]',
  minArgs: 0,
  maxArgs: 1,
  opensRepository: true,
  options: {},
  run: runFrom(() => import('./run/maintenance-set-owner.ts')),
};
