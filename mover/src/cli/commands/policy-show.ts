// `cairn policy show (--global | --source …)`: the retention stored for that target and, for a source,
// the effective retention with the target each value comes from (kopia's merge; built-in defaults last).
import { effectivePolicyOf, loadStoredPolicies, policyForTarget } from '../../engine/policy/policy-store.ts';
import { formatSourceInfo } from '../../engine/snapshot/source-info.ts';
import type { Command } from '../command.ts';
import { TARGET_OPTIONS, policyTarget } from './policy-set.ts';

const FIELDS = ['keepLatest', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepAnnual', 'keepWithinMs'] as const;

export const policyShow: Command = {
  name: 'policy show',
  summary: 'show the stored and effective retention policy of a target',
  args: '',
  minArgs: 0,
  maxArgs: 0,
  options: { ...TARGET_OPTIONS },
  async run(ctx, _args, values) {
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
  },
};
