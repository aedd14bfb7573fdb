// Bounded history of finished mover Jobs (and, through background deletion, their pods): once a Job's result
// is recorded in its owner's status, only the newest few are kept per owner, kind and PVC, like CronJob's
// successfulJobsHistoryLimit/failedJobsHistoryLimit. Without this an hourly schedule kept ~336 Jobs and 336
// pods per PVC for the 7-day TTL, which filled etcd and the operator's caches. The TTL stays as a backstop for
// Jobs whose owner is gone.
import type { Job } from '../../api/core-types.ts';
import type { KubeObject } from '../../api/meta.ts';
import { LABELS } from '../../api/names.ts';
import type { HistoryLimits, OperatorContext } from '../../operator-context.ts';
import { isNotFound } from '../../runtime/kube-client.ts';
import { JOBS } from '../../runtime/resource-type.ts';


function finished(job: Job): 'Succeeded' | 'Failed' | undefined {
  const conds = job.status?.conditions ?? [];
  if (conds.some((c) => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True')) return 'Succeeded';
  if (conds.some((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True')) return 'Failed';
  return undefined;
}

const when = (job: Job): number =>
  Date.parse(job.status?.completionTime ?? job.status?.conditions?.find((c) => c.lastTransitionTime !== undefined)?.lastTransitionTime ?? job.metadata.creationTimestamp ?? '') || 0;

/**
 * Delete the finished Jobs of `owner` beyond `limits` (newest kept, per purpose and PVC). Jobs named in
 * `inUse` (still referenced by the owner's status) and unfinished Jobs are never touched, so a result is
 * always recorded before its Job can go. Returns how many were deleted.
 */
export async function pruneJobHistory(
  ctx: OperatorContext,
  owner: KubeObject,
  limits: HistoryLimits,
  inUse: ReadonlySet<string>,
  /** Jobs known to be the newest (e.g. the last run's): kept first even when timestamps tie (1 s resolution). */
  newest: ReadonlySet<string> = new Set(),
): Promise<number> {
  const uid = owner.metadata.uid;
  if (uid === undefined) return 0;
  const groups = new Map<string, Job[]>();
  for (const job of ctx.caches.jobs.list(owner.metadata.namespace)) {
    if (!(job.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid)) continue;
    if (inUse.has(job.metadata.name ?? '') || finished(job) === undefined || job.metadata.deletionTimestamp !== undefined) continue;
    const key = `${job.metadata.labels?.[LABELS.purpose] ?? ''}/${job.metadata.labels?.[LABELS.pvc] ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  let deleted = 0;
  for (const jobs of groups.values()) {
    const rank = (j: Job): number => (newest.has(j.metadata.name ?? '') ? 1 : 0);
    jobs.sort((a, b) => rank(b) - rank(a) || when(b) - when(a) || (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''));
    const kept = { Succeeded: 0, Failed: 0 };
    for (const job of jobs) {
      const outcome = finished(job)!;
      if (kept[outcome] < (outcome === 'Succeeded' ? limits.successful : limits.failed)) {
        kept[outcome]++;
        continue;
      }
      try {
        await ctx.client.delete(JOBS, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background' });
        deleted++;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
  return deleted;
}
