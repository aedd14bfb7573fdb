// `cairn policy show (--global | --source …)`: the retention stored for that target and, for a source,
// the effective retention with the target each value comes from (kopia's merge; built-in defaults last).
// The implementation, loaded only when this command runs (the declaration is in policy-show.ts).
import { effectivePolicyOf, loadStoredPolicies, policyForTarget } from '../../../engine/policy/policy-store.ts';
import { formatSourceInfo } from '../../../engine/snapshot/source-info.ts';
import { policyTarget } from './policy-set.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

const FIELDS = ['keepLatest', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepAnnual', 'keepWithinMs'] as const;

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const target = policyTarget(values, ctx.defaultHost(), ctx.defaultUser());
  return ctx.withRepository({ readOnly: true }, async (repo) => {
    const stored = await loadStoredPolicies(repo.manifests);
    const own = policyForTarget(stored, target);
    const eff = effectivePolicyOf(stored, target);
    if (ctx.json) {
      ctx.output.out(JSON.stringify({ target: formatSourceInfo(target), stored: own.doc.retention, manifests: own.ids, effective: eff.retention,
        definedBy: Object.fromEntries(Object.entries(eff.retentionDefinedBy).map(([k, v]) => [k, formatSourceInfo(v)])) }));
      return {};
    }
    ctx.output.out(`Policy of ${formatSourceInfo(target)}${own.ids.length === 0 ? ' (none stored)' : ''}:`);
    for (const f of FIELDS) {
      const v = eff.retention[f];
      if (v === undefined) continue;
      const by = eff.retentionDefinedBy[f];
      ctx.output.out(`  ${f.replace(/Ms$/, '').padEnd(12)} ${String(f === 'keepWithinMs' ? `${v} ms` : v).padStart(8)}   ${by === undefined ? '(default)' : `from ${formatSourceInfo(by)}`}`);
    }
    return {};
  });
}
