// `cairn maintenance set-owner [USER@HOST]`: makes a client the maintenance owner (default: this one),
// rewriting the `type=maintenance` manifest as `kopia maintenance set --owner=…` does. Only the owner runs
// maintenance, so hand over only once the previous owner (Cairn or kopia) has stopped running it.
import { readMaintenanceParams, writeMaintenanceParams } from '../../engine/maintenance/maintenance-params.ts';
import { UsageError } from '../../engine/errors.ts';
import type { Command } from '../command.ts';

export const maintenanceSetOwner: Command = {
  name: 'maintenance set-owner',
  summary: 'make USER@HOST (default: this client) the only one that runs maintenance',
  args: '[USER@HOST]',
  minArgs: 0,
  maxArgs: 1,
  options: {},
  async run(ctx, args) {
    const me = `${ctx.defaultUser()}@${ctx.defaultHost()}`;
    const owner = args[0] === undefined || args[0] === 'me' ? me : args[0];
    if (!/^[^@\s]+@[^@\s]+$/.test(owner)) throw new UsageError(`owner "${owner}" is not USER@HOST`, { hint: 'for example backup@cluster, or "me" for this client' });
    return ctx.withRepository({}, async (repo) => {
      const { params } = await readMaintenanceParams(repo.manifests);
      await writeMaintenanceParams(repo.manifests, { ...params, owner });
      await repo.flush();
      if (ctx.json) ctx.output.out(JSON.stringify({ owner, previousOwner: params.owner }));
      else ctx.output.out(`Maintenance owner: ${owner}${params.owner !== '' && params.owner !== owner ? ` (was ${params.owner})` : ''}.`);
      return {};
    });
  },
};
