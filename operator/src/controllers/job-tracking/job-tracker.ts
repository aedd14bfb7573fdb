// The one path every controller takes with a mover Job, from creation to result:
//   startJob(job)          create it, or adopt the existing one (names are deterministic: AlreadyExists
//                          means this step already started, e.g. before a restart or on another leader),
//                          or Rejected when the API server refuses it as invalid (see startJob)
//   trackJob(ns, name)     Running (with why it cannot start, if it cannot), Finished (outcome read from the
//                          Job's conditions and the pods' termination messages), or Lost
// "Lost" means the Job is neither in the cache nor on the API server although the caller recorded that it
// started: somebody deleted it, or its TTL ran out while the operator was down. Each controller decides what
// a lost Job means for its resource (a failed step with reason MoverJobLost, or a harmless restart), but
// none of them polls for it forever.
import type { Job, Pod } from '../../api/core-types.ts';
import type { OperatorContext } from '../../operator-context.ts';
import { KubeApiError, isAlreadyExists, isNotFound } from '../../runtime/kube-client.ts';
import { CORE_EVENTS, JOBS, PODS } from '../../runtime/resource-type.ts';
import type { JobOutcome } from '../../jobs/job-outcome.ts';
import { readJobOutcome } from '../../jobs/job-outcome.ts';

/** Why a mover pod cannot start or run. */
export interface Stuck {
  readonly reason: string;
  readonly message: string;
}

export type FinishedOutcome = JobOutcome & { readonly phase: 'Succeeded' | 'Failed' };

export type TrackedJob =
  | { readonly state: 'Running'; readonly job?: Job; readonly stuck?: Stuck; readonly pollMs: number }
  | { readonly state: 'Finished'; readonly job: Job; readonly outcome: FinishedOutcome; readonly pods: readonly Pod[] }
  | { readonly state: 'Lost'; readonly reason: 'MoverJobLost'; readonly message: string };

/** A running Job is looked at this often: a pod stuck Pending or never created produces no further events. */
export const RUNNING_POLL_MS = 30_000;
/** A Job just created but not in the cache yet: looked at this often for NOT_CACHED_GRACE_MS. */
const NOT_CACHED_POLL_MS = 2_000;
const NOT_CACHED_GRACE_MS = 60_000;
/** A Job without pods for this long is checked for FailedCreate events (quota, admission, PSA). */
export const FAILED_CREATE_AFTER_MS = 15_000;

export const LOST_REASON = 'MoverJobLost';

export const REJECTED_REASON = 'MoverJobRejected';

export type StartedJob =
  | { readonly state: 'Started'; readonly job: Job }
  | { readonly state: 'Rejected'; readonly reason: 'MoverJobRejected'; readonly message: string };

/**
 * Create `job`, or adopt the existing Job of that name (cached, or AlreadyExists on create). The API server
 * refusing the Job itself is a problem of the user's spec (spec.mover fields the CRDs pass through
 * unchecked) that no retry fixes: 400 BadRequest when a value cannot even be decoded (a resources quantity
 * "lots"), 422 Invalid when it fails validation (a toleration operator "Sometimes"). That is returned as
 * Rejected, for the caller to record like a failed Job. Every other API error (500, 409 Conflict, a
 * timeout, 403 of an exhausted quota) is thrown, so the work queue retries with backoff and nothing is
 * recorded as failed.
 */
export async function startJob(ctx: OperatorContext, job: Job): Promise<StartedJob> {
  const ns = job.metadata.namespace!;
  const cached = ctx.caches.jobs.get(ns, job.metadata.name!);
  if (cached !== undefined) return { state: 'Started', job: cached };
  try {
    return { state: 'Started', job: await ctx.client.create<Job>(JOBS, ns, job) };
  } catch (e) {
    if (isAlreadyExists(e)) return { state: 'Started', job: await ctx.client.get<Job>(JOBS, ns, job.metadata.name!) };
    if (e instanceof KubeApiError && (e.status === 400 || e.status === 422)) return { state: 'Rejected', reason: REJECTED_REASON, message: rejection(job, e.message) };
    throw e;
  }
}

function rejection(job: Job, why: string): string {
  const owner = job.metadata.ownerReferences?.find((r) => r.controller === true);
  const where = owner === undefined || owner.kind === 'BackupRepository' ? 'of the BackupRepository' : `of ${owner.kind} ${owner.name} and of its BackupRepository`;
  return `the API server rejected mover Job ${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''}: ${why}; fix spec.mover (resources, podSecurityContext, tolerations, nodeSelector) ${where}`;
}

export function podsOfJob(ctx: OperatorContext, job: Job): Pod[] {
  const name = job.metadata.name;
  return ctx.caches.pods
    .list(job.metadata.namespace)
    .filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === name || p.metadata.labels?.['job-name'] === name);
}

/** Where the Job named `name` stands. */
export async function trackJob(ctx: OperatorContext, namespace: string, name: string): Promise<TrackedJob> {
  const cached = ctx.caches.jobs.get(namespace, name);
  // Not in the cache: just created (the watch has not delivered it yet), no longer matching the cache's
  // label selector (someone edited its labels), or gone. The API server decides; a GET is a quorum read, so
  // NotFound is final and the caller hears it on this reconcile, not after a wait.
  const job = cached ?? (await liveJob(ctx, namespace, name));
  if (job === undefined) {
    return {
      state: 'Lost',
      reason: LOST_REASON,
      message: `mover Job ${namespace}/${name} is gone (deleted, or removed by its TTL) before its result was recorded`,
    };
  }
  const now = ctx.clock.now();
  let pods = cached !== undefined ? podsOfJob(ctx, job) : [];
  let outcome = readJobOutcome(job, pods, now, ctx.config.pendingGraceMs);
  if (cached === undefined || (outcome.phase !== 'Running' && outcome.result === undefined)) {
    // An uncached Job's pods are not cached either. And Job and Pod events arrive on separate watches: a
    // finished Job can be cached before its pod's termination message. Read the pods fresh before
    // concluding anything, keeping the cache's recently deleted ones (a pod deleted by hand is gone from
    // the API server by now).
    const fresh = (await ctx.client.list<Pod>(PODS, namespace, { labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
    const names = new Set(fresh.map((p) => p.metadata.name));
    pods = [...fresh, ...pods.filter((p) => !names.has(p.metadata.name))];
    outcome = readJobOutcome(job, pods, now, ctx.config.pendingGraceMs);
  }
  if (outcome.phase !== 'Running') return { state: 'Finished', job, outcome: outcome as FinishedOutcome, pods };
  const stuck = outcome.stuck ?? (pods.length === 0 ? await failedCreate(ctx, job, now) : undefined);
  // A Job the cache has not seen yet is looked at again soon; one it never sees (labels edited) is read from
  // the API server at the running pace, so its result is still recorded.
  const young = cached === undefined && !(now - Date.parse(job.metadata.creationTimestamp ?? '') >= NOT_CACHED_GRACE_MS);
  return { state: 'Running', job, pollMs: young ? NOT_CACHED_POLL_MS : RUNNING_POLL_MS, ...(stuck !== undefined ? { stuck } : {}) };
}

async function liveJob(ctx: OperatorContext, namespace: string, name: string): Promise<Job | undefined> {
  try {
    return await ctx.client.get<Job>(JOBS, namespace, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

interface CoreEvent {
  readonly metadata: { readonly creationTimestamp?: string };
  readonly message?: string;
  readonly lastTimestamp?: string;
  readonly eventTime?: string;
}

/**
 * A Job whose pods cannot be created (ResourceQuota, LimitRange, Pod Security admission, a policy webhook)
 * has no pods and no condition: the Job controller only records FailedCreate Events on it.
 */
async function failedCreate(ctx: OperatorContext, job: Job, now: number): Promise<Stuck | undefined> {
  const created = Date.parse(job.metadata.creationTimestamp ?? '');
  if (!(now - created >= FAILED_CREATE_AFTER_MS)) return undefined;
  const { items } = await ctx.client.list<CoreEvent & { metadata: { name?: string } }>(CORE_EVENTS, job.metadata.namespace, {
    fieldSelector: `involvedObject.uid=${job.metadata.uid ?? ''},reason=FailedCreate`,
  });
  const when = (e: CoreEvent): number => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') || 0;
  const newest = items.sort((a, b) => when(b) - when(a))[0];
  if (newest === undefined) return undefined;
  return { reason: 'FailedCreate', message: `the Job controller cannot create the mover pod: ${newest.message ?? 'see the Job events'}` };
}
