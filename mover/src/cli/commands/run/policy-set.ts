// `cairn policy set (--global | --source USER@HOST[:/path]) --keep-… N`: stores retention in a kopia policy
// manifest for that target (global, host, user@host or a path), so `kopia policy show` reads it and
// `cairn snapshot expire` without flags applies it. keep-within is Cairn's (`retention.keepWithin`); kopia
// ignores it. --clear FIELD (e.g. --clear keep-daily) removes a setting so it is inherited again.
// The implementation, loaded only when this command runs (the declaration is in policy-set.ts).
import { setRetentionPolicy } from '../../../engine/policy/policy-store.ts';
import type { RetentionPolicy } from '../../../engine/policy/retention-policy.ts';
import { formatSourceInfo, parseSourceInfo, type SourceInfo } from '../../../engine/snapshot/source-info.ts';
import { UsageError } from '../../../engine/errors.ts';
import { retentionFromFlags } from './snapshot-expire.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

const CLEARABLE: Readonly<Record<string, keyof RetentionPolicy>> = {
  'keep-latest': 'keepLatest', 'keep-hourly': 'keepHourly', 'keep-daily': 'keepDaily', 'keep-weekly': 'keepWeekly',
  'keep-monthly': 'keepMonthly', 'keep-annual': 'keepAnnual', 'keep-within': 'keepWithinMs',
};

/** The policy target of --global / --source. */
export function policyTarget(values: ParsedValues, host: string, user: string): SourceInfo {
  const global = values['global'] === true;
  const src = values['source'];
  if (global === (typeof src === 'string')) throw new UsageError('give exactly one of --global and --source', { hint: 'for example --source backup@cluster:/pvc/data, or --global' });
  return global ? { host: '', userName: '', path: '' } : parseSourceInfo(src as string, { hostname: host, username: user, flag: '--source' });
}

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const target = policyTarget(values, ctx.defaultHost(), ctx.defaultUser());
  const changes = retentionFromFlags(values) ?? {};
  const clear = ((values['clear'] as string[] | undefined) ?? []).map((c) => {
    const f = CLEARABLE[c.replace(/^--/, '')];
    if (f === undefined) throw new UsageError(`--clear ${c} is not a retention setting`, { hint: `use one of ${Object.keys(CLEARABLE).join(', ')}` });
    return f;
  });
  if (Object.keys(changes).length === 0 && clear.length === 0) throw new UsageError('nothing to set', { hint: 'give --keep-* flags or --clear' });
  return ctx.withRepository({}, async (repo) => {
    const doc = await setRetentionPolicy(repo.manifests, target, changes, clear);
    await repo.flush();
    if (ctx.json) ctx.output.out(JSON.stringify({ target: formatSourceInfo(target), retention: doc.retention }));
    else ctx.output.out(`Set the retention policy of ${formatSourceInfo(target)}: ${JSON.stringify(doc.retention)}`);
    return {};
  });
}
