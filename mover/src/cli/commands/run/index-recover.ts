// `cairn index recover [--commit]`: rebuilds lost index entries from the packs' own local indexes, as
// `kopia index recover` does (engine/maintenance/index-recovery.ts). Without --commit it only reports what
// it would add (and writes nothing); with --commit the entries go into one new index blob, after which
// `cairn snapshot list` (and kopia) see the snapshots whose manifests were in the recovered packs.
// `repository check`, `snapshot list` and maintenance point here when packs hold contents no index knows.
// The implementation, loaded only when this command runs (the declaration is in index-recover.ts).
import { recoverIndex } from '../../../engine/maintenance/index-recovery.ts';
import { formatCount } from '../../format-units.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const commit = values['commit'] === true;
  return ctx.withRepository({ readOnly: !commit }, async (repo) => {
    const r = await recoverIndex(repo, { commit, signal: ctx.signal });
    if (ctx.json) ctx.output.out(JSON.stringify(r));
    else {
      ctx.output.out(`Read the local index of ${formatCount(r.packsRead)} packs: ${formatCount(r.recoveredContents)} contents in ${formatCount(r.recoveredPacks)} packs are missing from the index.`);
      if (r.committed) ctx.output.out(`Recovered them into a new index blob; \`cairn snapshot list\` shows what they hold.`);
      else if (r.recoveredContents > 0) ctx.output.out('Nothing was written; run `cairn index recover --commit` to add them to the index.');
      for (const f of r.failures.slice(0, 100)) ctx.output.err(`ERROR pack ${f.pack}: ${f.message}`);
      if (r.failures.length > 100) ctx.output.err(`... and ${r.failures.length - 100} more unreadable packs (see --json)`);
    }
    if (r.failures.length > 0) {
      return { ok: false, code: 'CORRUPT', message: `${r.failures.length} pack(s) could not be read; first: ${r.failures[0]!.pack}: ${r.failures[0]!.message}` };
    }
    return {};
  });
}
