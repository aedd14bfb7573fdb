// `cairn snapshot expire`: applies retention. Without --apply it only prints what it would delete and why
// every other snapshot is kept. The policy is the --keep-* flags (read literally: counts not given are 0)
// or, without flags, each source's stored policy (kopia policy manifests, kopia's defaults underneath).
// Periods are read in --time-zone; without it kopia's calendar in this machine's zone, so the result
// matches `kopia snapshot expire` here. A plan that deletes every snapshot of a source needs
// --allow-delete-all. Storage that refuses deletes is reported (APPEND_ONLY) before anything changes.
// The implementation, loaded only when this command runs (the declaration is in snapshot-expire.ts).
import { assertDeletesPermitted } from '../../../engine/maintenance/append-only-probe.ts';
import { applyExpiry, checkDeleteAll, literalRetentionPolicy, planExpiry, type SourceExpiry } from '../../../engine/policy/snapshot-expiry.ts';
import { parseDuration } from '../../../engine/policy/duration.ts';
import { compactRetentionReasons } from '../../../engine/policy/retention-reasons.ts';
import type { RetentionPolicy } from '../../../engine/policy/retention-policy.ts';
import { formatSourceInfo, parseSourceInfo } from '../../../engine/snapshot/source-info.ts';
import { UsageError } from '../../../engine/errors.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';
import { COUNT_FLAGS } from '../../retention-flags.ts';

/** The retention fields given as flags, or undefined when none was given. */
export function retentionFromFlags(values: ParsedValues): RetentionPolicy | undefined {
  const out: Record<string, number> = {};
  for (const [flag, field] of COUNT_FLAGS) {
    const v = values[flag];
    if (typeof v !== 'string') continue;
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`--${flag} ${v} is not a whole number ≥ 0`, { hint: `for example --${flag} 7` });
    out[field] = n;
  }
  if (typeof values['keep-within'] === 'string') out['keepWithinMs'] = parseDuration(values['keep-within'], '--keep-within');
  return Object.keys(out).length === 0 ? undefined : (out as RetentionPolicy);
}

/** The zone and calendar for retention: --time-zone (all periods in it) or kopia's calendar here. */
export function retentionCalendar(values: ParsedValues): { timeZone: string; calendar: 'zoned' | 'kopia' } {
  const tz = values['time-zone'];
  if (typeof tz !== 'string') return { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, calendar: 'kopia' };
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new UsageError(`--time-zone ${tz} is not a time zone`, { hint: 'give an IANA zone name such as UTC or Europe/Berlin' });
  }
  return { timeZone: tz, calendar: 'zoned' };
}

function describePolicy(p: RetentionPolicy): string {
  const parts = COUNT_FLAGS.filter(([, field]) => p[field] !== undefined && p[field] >= 0).map(([flag, field]) => `${flag.slice(5)} ${p[field]}`);
  if (p.keepWithinMs !== undefined) parts.push(`within ${shortDuration(p.keepWithinMs)}`);
  return parts.length === 0 ? 'keep nothing' : parts.join(', ');
}

function shortDuration(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`;
}

function planJson(p: SourceExpiry): object {
  return {
    source: formatSourceInfo(p.source), policyFrom: p.policyFrom, policy: p.policy, wouldDeleteAll: p.wouldDeleteAll,
    snapshots: p.entries.map((e) => ({ id: e.snapshot.id, startTime: e.snapshot.startTime, incomplete: e.snapshot.incomplete ?? '', keep: e.reasons.length > 0, reasons: e.reasons })),
  };
}

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const flags = retentionFromFlags(values);
  const cal = retentionCalendar(values);
  const apply = values['apply'] === true;
  const allowAll = values['allow-delete-all'] === true;
  const source = typeof values['source'] === 'string' ? parseSourceInfo(values['source'], { hostname: ctx.defaultHost(), username: ctx.defaultUser(), flag: '--source' }) : undefined;
  return ctx.withRepository({ readOnly: !apply }, async (repo) => {
    const plans = await planExpiry(repo.manifests, { source, policy: flags === undefined ? undefined : literalRetentionPolicy(flags), ...cal, now: ctx.now() });
    const toDelete = plans.reduce((n, p) => n + p.deleteIds.length, 0);
    if (!ctx.json) {
      for (const p of plans) {
        ctx.output.out(`${formatSourceInfo(p.source)}  (${p.policyFrom === 'flags' ? 'policy from flags' : 'stored policy'}: ${describePolicy(p.policy)})`);
        for (const e of p.entries) {
          const verdict = e.reasons.length > 0 ? `keep    ${compactRetentionReasons(e.reasons).join(',')}` : 'DELETE';
          ctx.output.out(`  ${e.snapshot.startTime.replace(/\.\d+Z$/, 'Z')}  ${e.snapshot.id}  ${verdict}`);
        }
        if (p.wouldDeleteAll && p.deleteIds.length > 0) ctx.output.err(`${formatSourceInfo(p.source)}: the policy deletes every snapshot of this source${allowAll ? '' : ' (refused without --allow-delete-all)'}`);
      }
      if (plans.length === 0) ctx.output.err('No snapshots.');
    }
    if (apply) {
      checkDeleteAll(plans, allowAll);
      if (toDelete > 0) await assertDeletesPermitted(repo.blobs, 'snapshot expire');
    }
    const deleted = apply ? await applyExpiry(repo.manifests, plans) : [];
    if (deleted.length > 0) await repo.flush();
    if (ctx.json) ctx.output.out(JSON.stringify({ apply, timeZone: cal.timeZone, calendar: cal.calendar, sources: plans.map(planJson), deleted }));
    else if (apply) ctx.output.out(`Deleted ${deleted.length} snapshot(s). Run \`cairn maintenance run --full\` to free their space.`);
    else ctx.output.out(`Would delete ${toDelete} snapshot(s); rerun with --apply to delete them.`);
    return { deleted, repository: { snapshotCount: plans.reduce((n, p) => n + p.entries.length, 0) - deleted.length } };
  });
}
