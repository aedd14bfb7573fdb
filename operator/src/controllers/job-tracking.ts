// Shared helpers for controllers that run mover Jobs: create-or-adopt by deterministic name, the pods of a
// Job from the cache, and where a mover must run to share a ReadWriteOnce volume with its consumer.
import type { Job, Json, PersistentVolumeClaim, Pod } from '../api/core-types.ts';
import type { OperatorContext } from '../operator-context.ts';
import { isAlreadyExists } from '../runtime/kube-client.ts';
import { JOBS, PODS } from '../runtime/resource-type.ts';
import type { JobOutcome } from '../jobs/job-outcome.ts';
import { readJobOutcome } from '../jobs/job-outcome.ts';

/** The Job named job.metadata.name: the cached one if it exists, else created now (AlreadyExists = adopt). */
export async function ensureJob(ctx: OperatorContext, job: Job): Promise<Job> {
  const ns = job.metadata.namespace!;
  const cached = ctx.caches.jobs.get(ns, job.metadata.name!);
  if (cached !== undefined) return cached;
  try {
    return await ctx.client.create<Job>(JOBS, ns, job);
  } catch (e) {
    if (isAlreadyExists(e)) return ctx.client.get<Job>(JOBS, ns, job.metadata.name!);
    throw e;
  }
}

export function podsOfJob(ctx: OperatorContext, job: Job): Pod[] {
  const name = job.metadata.name;
  return ctx.caches.pods
    .list(job.metadata.namespace)
    .filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === name || p.metadata.labels?.['job-name'] === name);
}

/**
 * Outcome of the named Job, or undefined when it does not exist (in the cache). Job and Pod events arrive
 * on separate watches, so a finished Job can be cached before its pod's termination message: in that case
 * the pods are read fresh from the API server before concluding that the mover left no result.
 */
export async function jobOutcome(ctx: OperatorContext, namespace: string, name: string): Promise<{ job: Job; outcome: JobOutcome } | undefined> {
  const job = ctx.caches.jobs.get(namespace, name);
  if (job === undefined) return undefined;
  const now = ctx.clock.now();
  const outcome = readJobOutcome(job, podsOfJob(ctx, job), now, ctx.config.pendingGraceMs);
  if (outcome.phase === 'Running' || outcome.result !== undefined) return { job, outcome };
  const { items } = await ctx.client.list<Pod>(PODS, namespace, { labelSelector: `batch.kubernetes.io/job-name=${name}` });
  return { job, outcome: readJobOutcome(job, items, now, ctx.config.pendingGraceMs) };
}

export interface Placement {
  readonly nodeName?: string;
  readonly tolerations?: Json[];
}

/**
 * For a ReadWriteOnce(Pod) volume mounted by a running pod, the mover must run on that pod's node (with
 * its tolerations). Re-checked right before each Job is created. RWX/ROX volumes can go anywhere.
 */
export async function placementFor(ctx: OperatorContext, pvc: PersistentVolumeClaim): Promise<Placement> {
  const modes = pvc.spec?.accessModes ?? [];
  if (modes.includes('ReadWriteMany') || modes.includes('ReadOnlyMany')) return {};
  const { items } = await ctx.client.list<Pod>(PODS, pvc.metadata.namespace);
  const users = items.filter(
    (p) =>
      p.spec?.nodeName !== undefined &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed' &&
      (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name),
  );
  users.sort((a, b) => Number(b.status?.phase === 'Running') - Number(a.status?.phase === 'Running'));
  const user = users[0];
  if (user === undefined) return {};
  return { nodeName: user.spec!.nodeName, tolerations: user.spec!.tolerations };
}
