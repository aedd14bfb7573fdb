// Retention applied by repository maintenance: before `cairn maintenance run`, the maintenance Job expires
// every source that has Snapshot records under the retention of the SnapshotSchedule that made them (one
// `snapshot expire --apply` init container each), so sources whose schedule no longer runs (a PVC dropped
// from a selector, a suspended schedule) are still pruned. Runs apply the same retention after each
// snapshot; this is the backstop.
//
// A Job carries at most MAX_EXPIRE_STEPS init containers (the pod spec must stay well below etcd's object
// size limit). Sources whose newest snapshot is oldest come first: they are the ones no run expires any
// more. Sources left out are named in an Event, never dropped silently, and are first in line next time.
import type { Pod } from '../../api/core-types.ts';
import type { BackupRepository, SnapshotSchedule } from '../../api/resources.ts';
import type { OperatorContext } from '../../operator-context.ts';
import { initResults } from '../../jobs/job-outcome.ts';
import type { MoverInvocation } from '../../../../mover/src/contract/mover-argv.ts';
import { deleteSnapshotRecords } from './snapshot-records.ts';

export const MAX_EXPIRE_STEPS = 64;

/** The `snapshot expire` of one source under the schedule's retention, or undefined without retention. */
export function expireInvocation(s: SnapshotSchedule, source: string): MoverInvocation | undefined {
  const r = s.spec.retention;
  if (r === undefined) return undefined;
  return { command: 'snapshot expire', source, retention: r, timeZone: s.spec.timeZone, apply: true };
}

export interface ExpireSteps {
  readonly steps: { readonly name: string; readonly invocation: MoverInvocation }[];
  /** Sources with retention that did not fit into this Job. */
  readonly deferred: number;
}

export function maintenanceExpireSteps(ctx: OperatorContext, repo: BackupRepository): ExpireSteps {
  const ns = repo.metadata.namespace;
  const records = ctx.caches.snapshots.list(ns).filter((r) => r.spec.repository === repo.metadata.name);
  const wanted: { invocation: MoverInvocation; newest: string; key: string }[] = [];
  for (const s of ctx.caches.schedules.list(ns)) {
    if (s.spec.repository !== repo.metadata.name || s.spec.retention === undefined) continue;
    const newest = new Map<string, string>();
    for (const r of records) {
      if (r.spec.schedule !== s.metadata.name) continue;
      const end = r.spec.endTime ?? '';
      if ((newest.get(r.spec.source) ?? '') <= end) newest.set(r.spec.source, end);
    }
    for (const [source, end] of newest) {
      const invocation = expireInvocation(s, source);
      if (invocation !== undefined) wanted.push({ invocation, newest: end, key: `${s.metadata.name ?? ''}\u0000${source}` });
    }
  }
  wanted.sort((a, b) => a.newest.localeCompare(b.newest) || a.key.localeCompare(b.key));
  const steps = wanted.slice(0, MAX_EXPIRE_STEPS).map((w, i) => ({ name: `expire-${i}`, invocation: w.invocation }));
  return { steps, deferred: wanted.length - steps.length };
}

/** Remove the Snapshot records of the snapshots a finished maintenance Job's expire steps deleted. */
export async function applyMaintenanceExpiry(ctx: OperatorContext, repo: BackupRepository, pods: readonly Pod[]): Promise<void> {
  const deleted = [...new Set(pods.flatMap((p) => initResults(p).flatMap((r) => r.result.deleted ?? [])))];
  await deleteSnapshotRecords(ctx, repo, repo.metadata, deleted);
}
