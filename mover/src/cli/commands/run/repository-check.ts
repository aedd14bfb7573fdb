// `cairn repository check`: structural check (every index entry inside an existing pack, every snapshot
// tree complete; optionally a share of the data decrypted) and a summary of sizes, counts and what a full
// maintenance would reclaim. Read-only. Exit CORRUPT when a problem is found.
// The implementation, loaded only when this command runs (the declaration is in repository-check.ts).
import { checkRepository } from '../../../engine/maintenance/repository-check.ts';
import { formatBytes, formatCount } from '../../format-units.ts';
import { percentOption } from '../../percent-option.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const pct = percentOption(values, 'read-data-percent');
  return ctx.withRepository({ readOnly: true }, async (repo) => {
    const r = await checkRepository(repo, { readDataPercent: pct, signal: ctx.signal });
    if (ctx.json) ctx.output.out(JSON.stringify(r));
    else {
      ctx.output.out(`Storage: ${formatCount(r.storage.blobs)} blobs, ${formatBytes(r.storage.bytes)}`);
      for (const [kind, s] of Object.entries(r.storage.byKind).sort()) ctx.output.out(`  ${kind.padEnd(16)} ${formatCount(s.count).padStart(8)} blobs  ${formatBytes(s.bytes).padStart(9)}`);
      ctx.output.out(`Contents: ${formatCount(r.contents.live)} live (${formatBytes(r.contents.liveBytes)}, ${formatCount(r.contents.manifests)} manifest contents), ${formatCount(r.contents.deleted)} deleted (${formatBytes(r.contents.deletedBytes)})`);
      ctx.output.out(`Packs: ${formatCount(r.packs.referenced)} referenced, ${formatCount(r.packs.unreferenced)} unreferenced (${formatBytes(r.packs.unreferencedBytes)})` +
        (r.packs.unexplained > 0 ? `, ${formatCount(r.packs.unexplained)} holding contents no index knows (${formatBytes(r.packs.unexplainedBytes)}): run \`cairn index recover --commit\`` : ''));
      ctx.output.out(`Snapshots: ${formatCount(r.snapshots.count)}, ${formatCount(r.snapshots.objects)} objects, ${formatCount(r.snapshots.contents)} contents checked, ${formatCount(r.snapshots.contentsRead)} read`);
      ctx.output.out(`Full maintenance would reclaim about ${formatBytes(r.reclaimable.totalBytes)}: ${formatCount(r.reclaimable.unusedContents)} unused contents (${formatBytes(r.reclaimable.unusedContentBytes)}), deleted contents (${formatBytes(r.reclaimable.deletedContentBytes)}), unreferenced packs (${formatBytes(r.reclaimable.unreferencedPackBytes)}); safety margins may delay it.`);
      for (const p of r.problems) ctx.output.err(`ERROR ${p.message}`);
      if (r.problemCount > r.problems.length) ctx.output.err(`... and ${r.problemCount - r.problems.length} more problems (see --json)`);
      ctx.output.out(r.problemCount === 0 ? 'No problems found.' : `${r.problemCount} problem(s) found.`);
    }
    if (r.problemCount > 0) return { ok: false, code: 'CORRUPT', message: `${r.problemCount} problem(s) found; first: ${r.problems[0]?.message ?? ''}` };
    return { repository: { sizeBytes: r.storage.bytes, snapshotCount: r.snapshots.count } };
  });
}
