// Reconciles Snapshot records. Deleting a record never touches the repository (records are an index, the
// repository is the truth). To delete a snapshot's data, annotate the record with
// cairn.dev/delete-from-repository: "true": the operator runs `cairn snapshot delete <id>` in a mover Job
// and removes the record once the repository no longer has it.
import type { SnapshotStatus } from '../../api/resources.ts';
import { setCondition } from '../../api/conditions.ts';
import { ANNOTATIONS, LABELS, childName, labelValue } from '../../api/names.ts';
import { buildMoverJob } from '../../jobs/mover-job.ts';
import { repositoryAccess } from '../../jobs/repository-access.ts';
import type { OperatorContext } from '../../operator-context.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { toRfc3339 } from '../../runtime/clock.ts';
import { isNotFound } from '../../runtime/kube-client.ts';
import { SNAPSHOTS } from '../../runtime/resource-type.ts';
import { startJob, trackJob } from '../job-tracking/job-tracker.ts';
import { repositoryReadiness } from '../backup-repository/repository-readiness.ts';

export class SnapshotController {
  private readonly ctx: OperatorContext;

  constructor(ctx: OperatorContext) {
    this.ctx = ctx;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const [ns, name] = key.split('/') as [string, string];
    const rec = this.ctx.caches.snapshots.get(ns, name);
    if (rec === undefined || rec.metadata.deletionTimestamp !== undefined) return;
    if (rec.metadata.annotations?.[ANNOTATIONS.deleteFromRepository] !== 'true') return;
    const stamp = toRfc3339(this.ctx.clock.now());
    const st: SnapshotStatus = structuredClone(rec.status ?? {});
    const repo = this.ctx.caches.repositories.get(ns, rec.spec.repository);
    const cond = (status: 'True' | 'False', reason: string, message: string): void => {
      st.conditions = setCondition(st.conditions, { type: 'Deleting', status, reason, message }, rec.metadata.generation, stamp);
    };
    const write = async (): Promise<void> => {
      await this.ctx.status.update(SNAPSHOTS, rec, () => structuredClone(st));
    };
    const readiness = repositoryReadiness(repo, ns, rec.spec.repository);
    if (!readiness.ready || repo === undefined) {
      cond('False', 'RepositoryNotReady', readiness.ready ? '' : readiness.message);
      await write();
      return;
    }
    const jobName = childName([name, 'delete']);
    // Deleting a snapshot is idempotent (the mover's NOT_FOUND counts as done), so a Job that was never
    // started or got lost is simply started (again).
    const tracked = st.deleteJob === undefined ? undefined : await trackJob(this.ctx, ns, st.deleteJob);
    if (tracked === undefined || tracked.state === 'Lost') {
      const started = await startJob(
        this.ctx,
        buildMoverJob({
          name: jobName,
          namespace: ns,
          owner: rec,
          purpose: 'delete',
          image: this.ctx.config.moverImage,
          imagePullSecrets: this.ctx.config.moverImagePullSecrets,
          command: this.ctx.config.moverCommand,
          invocation: { command: 'snapshot delete', id: rec.spec.snapshotId },
          access: repositoryAccess(repo),
          overrides: { ...(repo.spec.mover ?? {}), privileged: false },
          privileged: false,
          labels: { [LABELS.repository]: labelValue(rec.spec.repository) },
          logLevel: this.ctx.config.moverLogLevel,
          defaultActiveDeadlineSeconds: 1800,
        }),
      );
      if (started.state === 'Rejected') {
        cond('False', started.reason, started.message);
        await write();
        return;
      }
      st.deleteJob = jobName;
      cond('True', 'Deleting', `deleting snapshot ${rec.spec.snapshotId} from the repository`);
      await write();
      return;
    }
    if (tracked.state === 'Running') return { pollAfterMs: tracked.pollMs };
    const { outcome } = tracked;
    if (outcome.phase === 'Succeeded' || outcome.result?.code === 'NOT_FOUND') {
      this.ctx.events.record(rec, 'Normal', 'SnapshotDeleted', `snapshot ${rec.spec.snapshotId} deleted from repository ${rec.spec.repository}`);
      try {
        await this.ctx.client.delete(SNAPSHOTS, ns, name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    cond('False', outcome.reason ?? 'Failed', outcome.message ?? 'snapshot delete failed');
    this.ctx.events.record(rec, 'Warning', 'SnapshotDeleteFailed', `${outcome.reason ?? ''}: ${outcome.message ?? ''}`);
    await write();
  }
}

