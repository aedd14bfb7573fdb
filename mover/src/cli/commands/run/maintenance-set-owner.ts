// `cairn maintenance set-owner [USER@HOST]`: makes a client the maintenance owner (default: this one),
// rewriting the `type=maintenance` manifest as `kopia maintenance set --owner=…` does. Only the owner runs
// maintenance, so hand over only once the previous owner (Cairn or kopia) has stopped running it.
// The implementation, loaded only when this command runs (the declaration is in maintenance-set-owner.ts).
import { readMaintenanceParams, writeMaintenanceParams } from '../../../engine/maintenance/maintenance-params.ts';
import { UsageError } from '../../../engine/errors.ts';
import type { CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext, args: readonly string[]): Promise<CommandOutcome> {
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
}
