// `cairn maintenance run [--full]`: quick maintenance (index compaction and epoch advance, rewrite of
// metadata out of short packs) or full maintenance (also snapshot GC, rewrite of all short packs, dropping
// deleted contents, deleting unreferenced packs and old index blobs), with kopia's safety margins.
// Refused when another client owns maintenance (MAINTENANCE_OWNED, unless --force) or storage refuses
// deletes (APPEND_ONLY); a repository without an owner is claimed by this client (`user@host`).
// Tests shorten the safety margins and stop runs at a task through the test seams of main() (a test-only
// entry point, e2e/support/cairn-test-entry.ts); the shipped CLI reads no environment switch for them.
// The implementation, loaded only when this command runs (the declaration is in maintenance-run.ts).
import { runMaintenance, type MaintenanceReport } from '../../../engine/maintenance/maintenance-run.ts';
import { measureStorage } from '../../../engine/maintenance/repository-check.ts';
import { parseSafety, SAFETY_FULL, type SafetySpec } from '../../../engine/maintenance/safety.ts';
import { formatBytes } from '../../format-units.ts';
import { UsageError } from '../../../engine/errors.ts';
import type { ParsedValues, CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

function safetySpec(values: Readonly<Record<string, unknown>>, seam: SafetySpec | undefined): SafetySpec {
  if (seam !== undefined) return seam;
  const level = typeof values['safety'] === 'string' ? values['safety'] : 'full';
  if (level !== 'full' && level !== 'none') throw new UsageError(`--safety ${level} is not "full" or "none"`, { hint: 'use --safety=none only when no other client uses the repository' });
  return level === 'full' ? { safety: SAFETY_FULL, epochOverrides: {} } : parseSafety('none');
}

function printReport(out: (line: string) => void, r: MaintenanceReport): void {
  out(`${r.mode === 'full' ? 'Full' : 'Quick'} maintenance by ${r.owner}${r.claimedOwnership ? ' (ownership claimed now)' : ''}, started ${r.startTime.toISOString()} (storage time):`);
  for (const t of r.tasks) {
    const stats = t.stats === undefined ? '' : ` ${JSON.stringify(t.stats)}`;
    out(`  ${t.task.padEnd(34)} ${t.success ? 'ok' : `FAILED: ${t.error ?? ''}`}${stats}`);
  }
  for (const s of r.skipped) out(`  ${s.task.padEnd(34)} skipped: ${s.reason}`);
}

export async function run(ctx: CommandContext, _args: readonly string[], values: ParsedValues): Promise<CommandOutcome> {
  const spec = safetySpec(values, ctx.seams.maintenanceSafety);
  const owner = `${ctx.defaultUser()}@${ctx.defaultHost()}`;
  const onTask = ctx.seams.onMaintenanceTask;
  const repo = await ctx.openRepository();
  try {
    const before = await measureStorage(repo.blobs);
    const report = await runMaintenance(repo, {
      mode: values['full'] === true ? 'full' : 'quick', owner, force: values['force'] === true,
      safety: spec.safety, epochOverrides: spec.epochOverrides, logger: ctx.logger, signal: ctx.signal,
      ...(onTask !== undefined ? { onTask } : {}),
    });
    const after = await measureStorage(repo.blobs);
    const { lengths: _b, ...beforeSummary } = before;
    const { lengths: _a, ...afterSummary } = after;
    if (ctx.json) ctx.output.out(JSON.stringify({ ...report, storageBefore: beforeSummary, storageAfter: afterSummary }));
    else {
      printReport((l) => ctx.output.out(l), report);
      ctx.output.out(`Repository size: ${formatBytes(before.bytes)} -> ${formatBytes(after.bytes)} (${before.blobs} -> ${after.blobs} blobs).`);
    }
    return { repository: { sizeBytes: after.bytes } };
  } finally {
    await repo.close();
  }
}
