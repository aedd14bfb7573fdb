// `cairn maintenance info`: the maintenance owner, cycles and recent runs, read from where kopia keeps them
// (the `type=maintenance` manifest and the `kopia.maintenance` blob); --json prints kopia's
// MaintenanceInfo shape (the parameters plus "schedule").
import { runFrom, type Command } from '../command.ts';

export const maintenanceInfo: Command = {
  name: 'maintenance info',
  summary: 'show the maintenance owner, schedule and recent runs',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  opensRepository: true,
  options: {},
  run: runFrom(() => import('./run/maintenance-info.ts')),
};
