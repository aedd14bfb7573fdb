// `cairn snapshot verify`: every snapshot's referenced data exists; with --read-data-percent, that share of
// it is downloaded and decrypted. Problems name the snapshot and the file affected.
// The implementation, loaded only when this command runs (the declaration is in snapshot-verify.ts).
import { verifySnapshots } from '../../../engine/verify/verify.ts';
import { parseSourceInfo } from '../../../engine/snapshot/source-info.ts';
import { formatCount } from '../../format-units.ts';
import { percentOption } from '../../percent-option.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const pct = percentOption(values, 'read-data-percent');
  return ctx.withRepository({ readOnly: true }, async (repo) => {
    const source = typeof values['source'] === 'string' ? parseSourceInfo(values['source'], { hostname: ctx.defaultHost(), username: ctx.defaultUser(), flag: '--source' }) : undefined;
    const report = await verifySnapshots(repo, { readDataPercent: pct, ...(source ? { source } : {}) });
    if (ctx.json) ctx.output.out(JSON.stringify(report));
    else {
      ctx.output.out(`Verified ${formatCount(report.snapshots)} snapshots, ${formatCount(report.objects)} objects, ${formatCount(report.contents)} contents; read ${formatCount(report.contentsRead)} contents.`);
      for (const p of report.problems.slice(0, 100)) ctx.output.err(`ERROR snapshot ${p.snapshotId} ${p.path}: ${p.message}`);
      if (report.problems.length > 100) ctx.output.err(`... and ${report.problems.length - 100} more problems (see --json)`);
    }
    if (report.problems.length > 0) {
      return { ok: false, code: 'CORRUPT', message: `${report.problems.length} problem(s) found; first: ${report.problems[0]!.path}: ${report.problems[0]!.message}` };
    }
    return {};
  });
}
