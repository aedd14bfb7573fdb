// `cairn maintenance info`: the maintenance owner, cycles and recent runs, read from where kopia keeps them
// (the `type=maintenance` manifest and the `kopia.maintenance` blob); --json prints kopia's
// MaintenanceInfo shape (the parameters plus "schedule").
// The implementation, loaded only when this command runs (the declaration is in maintenance-info.ts).
import { encodeMaintenanceParams, readMaintenanceParams } from '../../../engine/maintenance/maintenance-params.ts';
import { goTime, readSchedule } from '../../../engine/maintenance/maintenance-schedule.ts';
import { formatDuration } from '../../format-units.ts';
import type { CommandOutcome } from '../../command.ts';
import type { CommandContext } from '../../command-context.ts';

export async function run(ctx: CommandContext): Promise<CommandOutcome> {
  return ctx.withRepository({ readOnly: true }, async (repo) => {
    const { params, manifestIds } = await readMaintenanceParams(repo.manifests);
    const schedule = await readSchedule(repo.blobs, repo.format);
    const me = `${ctx.defaultUser()}@${ctx.defaultHost()}`;
    if (ctx.json) {
      const runs: Record<string, unknown> = {};
      for (const [task, list] of schedule.runs) {
        runs[task] = list.map((r) => ({ start: goTime(r.start), end: goTime(r.end), ...(r.success ? { success: true } : {}), ...(r.error !== undefined ? { error: r.error } : {}), ...(r.extra !== undefined ? { extra: r.extra } : {}) }));
      }
      ctx.output.out(JSON.stringify({
        ...encodeMaintenanceParams(params),
        schedule: { nextFullMaintenance: goTime(schedule.nextFullMaintenance), nextQuickMaintenance: goTime(schedule.nextQuickMaintenance), runs },
      }));
      return {};
    }
    const now = ctx.now().getTime();
    ctx.output.out(`Owner: ${params.owner === '' ? '(none; the next `cairn maintenance run` claims it)' : params.owner}${params.owner === me ? ' (this client)' : ''}${manifestIds.length > 1 ? ` [${manifestIds.length} parameter manifests]` : ''}`);
    for (const [name, cycle, next] of [['Quick', params.quick, schedule.nextQuickMaintenance], ['Full', params.full, schedule.nextFullMaintenance]] as const) {
      ctx.output.out(`${name} cycle: ${cycle.enabled ? `every ${formatDuration(cycle.intervalMs / 1000)}, next ${next.getTime() <= now ? 'now' : next.toISOString()}` : 'not scheduled'}`);
    }
    ctx.output.out('Recent maintenance runs:');
    for (const [task, list] of [...schedule.runs].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      ctx.output.out(`  ${task}:`);
      for (const r of list.slice(0, 5)) {
        const secs = Math.max(0, (r.end.getTime() - r.start.getTime()) / 1000);
        ctx.output.out(`    ${r.start.toISOString()} (${formatDuration(secs)}) ${r.success ? 'SUCCESS' : `ERROR: ${r.error ?? ''}`}`);
      }
    }
    return {};
  });
}
