// `cairn snapshot delete ID`: deletes one snapshot manifest (a full ID or an unambiguous prefix). Its data
// is freed by the next full maintenance once no other snapshot uses it. Refused on storage without
// delete permission (APPEND_ONLY), before anything changes.
// The implementation, loaded only when this command runs (the declaration is in snapshot-delete.ts).
import { assertDeletesPermitted } from '../../../engine/maintenance/append-only-probe.ts';
import { deleteSnapshot, resolveSnapshot } from '../../../engine/snapshot/snapshot-manager.ts';
import { formatSourceInfo, parseSourceInfo } from '../../../engine/snapshot/source-info.ts';
import { UsageError } from '../../../engine/errors.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext, args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const ref = args[0]!;
  if (ref === 'latest') throw new UsageError('snapshot delete needs a snapshot ID, not "latest"', { hint: 'list IDs with `cairn snapshot list`' });
  const source = typeof values['source'] === 'string' ? parseSourceInfo(values['source'], { hostname: ctx.defaultHost(), username: ctx.defaultUser(), flag: '--source' }) : undefined;
  return ctx.withRepository({}, async (repo) => {
    const snap = await resolveSnapshot(repo.manifests, ref, { source });
    await assertDeletesPermitted(repo.blobs, 'snapshot delete');
    await deleteSnapshot(repo.manifests, snap.id);
    await repo.flush();
    if (ctx.json) ctx.output.out(JSON.stringify({ deleted: [snap.id], source: formatSourceInfo(snap.source), startTime: snap.startTime }));
    else ctx.output.out(`Deleted snapshot ${snap.id} of ${formatSourceInfo(snap.source)} (${snap.startTime}). Run \`cairn maintenance run --full\` to free its space.`);
    return { deleted: [snap.id] };
  });
}
