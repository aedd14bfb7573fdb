// Reconciles Restores: resolves the source (Snapshot resource, snapshot id, or newest snapshot of a PVC as
// of a time), makes sure the target PVC exists (creating it from spec.target.newPVC), runs one
// `snapshot restore` Job into it, and records phase, progress and result. One-shot: a finished Restore is
// never run again (its spec is immutable by CEL rule). onMissingSnapshot: Continue finishes as Skipped.
import type { Namespace, PersistentVolumeClaim } from '../../api/core-types.ts';
import type { Restore, RestoreStatus, Snapshot } from '../../api/resources.ts';
import { setCondition } from '../../api/conditions.ts';
import { LABELS, childName, labelValue } from '../../api/names.ts';
import { DATA_DIR, buildMoverJob } from '../../jobs/mover-job.ts';
import { consumerIds, privilegedMoverDenied } from '../../jobs/pod-security.ts';
import { repositoryAccess } from '../../jobs/repository-access.ts';
import type { OperatorContext } from '../../operator-context.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { toRfc3339 } from '../../runtime/clock.ts';
import { isAlreadyExists, isNotFound } from '../../runtime/kube-client.ts';
import { NAMESPACES, PVCS, RESTORES } from '../../runtime/resource-type.ts';
import { startJob, trackJob } from '../job-tracking/job-tracker.ts';
import { repositoryReadiness } from '../backup-repository/repository-readiness.ts';
import { consumersOf } from '../placement/consumer.ts';
import { mountRefusal, placementFor } from '../placement/placement.ts';

const TERMINAL = new Set(['Succeeded', 'Skipped', 'Failed']);

export class RestoreController {
  private readonly ctx: OperatorContext;

  constructor(ctx: OperatorContext) {
    this.ctx = ctx;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const [ns, name] = key.split('/') as [string, string];
    let r: Restore;
    try {
      r = await this.ctx.client.get<Restore>(RESTORES, ns, name);
    } catch (e) {
      if (isNotFound(e)) {
        this.ctx.metrics.restoreFailed.remove({ namespace: ns, restore: name });
        return;
      }
      throw e;
    }
    if (r.metadata.deletionTimestamp !== undefined) return;
    if (TERMINAL.has(r.status?.phase ?? '')) {
      // Finished: only report it (a new leader sees every Restore once).
      if (r.status?.phase === 'Failed') this.ctx.metrics.restoreFailed.set({ namespace: ns, restore: name }, 1);
      return;
    }
    const stamp = toRfc3339(this.ctx.clock.now());
    const gen = r.metadata.generation;
    const st: RestoreStatus = structuredClone(r.status ?? {});
    st.observedGeneration = gen;
    st.phase ??= 'Pending';
    st.startTime ??= stamp;
    const target = r.spec.target.existingPVC?.name ?? r.spec.target.newPVC?.name ?? '';
    st.targetPVC = target;
    const finish = (phase: 'Succeeded' | 'Skipped' | 'Failed', reason: string, message: string): void => {
      st.phase = phase;
      st.completionTime = stamp;
      st.progress = 'Done';
      st.conditions = setCondition(st.conditions, { type: 'Completed', status: phase === 'Failed' ? 'False' : 'True', reason, message }, gen, stamp);
      this.ctx.events.record(r, phase === 'Failed' ? 'Warning' : 'Normal', reason, message);
      this.ctx.metrics.restores.inc({ namespace: ns, result: phase, reason });
      if (phase === 'Failed') this.ctx.metrics.restoreFailed.set({ namespace: ns, restore: name }, 1);
    };
    const write = async (): Promise<void> => {
      await this.ctx.status.update(RESTORES, r, () => structuredClone(st));
    };

    const jobName = childName([name, 'restore']);
    if (st.job === undefined) {
      // A restore starts only on a Ready repository; once its Job runs, it is followed to its end.
      const repo = this.ctx.caches.repositories.get(ns, r.spec.repository);
      const readiness = repositoryReadiness(repo, ns, r.spec.repository);
      if (!readiness.ready || repo === undefined) {
        st.progress = 'WaitingForRepository';
        const message = readiness.ready ? '' : readiness.message;
        st.conditions = setCondition(st.conditions, { type: 'Completed', status: 'False', reason: 'RepositoryNotReady', message }, gen, stamp);
        await write();
        return;
      }
      // Resolve the source.
      const resolved = this.resolve(r);
      if ('missing' in resolved) {
        if (r.spec.onMissingSnapshot === 'Continue') finish('Skipped', 'SnapshotNotFound', `${resolved.missing}; onMissingSnapshot is Continue, target left as it is`);
        else finish('Failed', 'SnapshotNotFound', resolved.missing);
        await write();
        return;
      }
      if (resolved.snapshotId !== undefined) st.snapshotId = resolved.snapshotId;
      // Privilege.
      const overrides = { ...(repo.spec.mover ?? {}), ...(r.spec.mover ?? {}) };
      let privileged = false;
      if (overrides.privileged === true) {
        const denied = privilegedMoverDenied(await this.ctx.client.get<Namespace>(NAMESPACES, undefined, ns));
        if (denied !== undefined) {
          finish('Failed', 'PrivilegedMoverNotPermitted', denied);
          await write();
          return;
        }
        privileged = true;
      }
      // Target.
      st.progress = 'CreatingTarget';
      const pvc = await this.ensureTarget(r);
      if (pvc === undefined) {
        finish('Failed', 'TargetNotFound', `PersistentVolumeClaim ${ns}/${target} does not exist`);
        await write();
        return;
      }
      // A new PVC has no consumer yet; an existing one may (the app's ids make restored files usable by it).
      const consumers = r.spec.target.existingPVC !== undefined ? await consumersOf(this.ctx, pvc) : [];
      const refusal = mountRefusal(pvc, consumers);
      if (refusal !== undefined) {
        finish('Failed', refusal.reason, refusal.message);
        await write();
        return;
      }
      const placement = placementFor(pvc, consumers);
      const consumer = (overrides.securityContextFrom ?? 'Consumer') === 'Consumer' && consumers[0] !== undefined ? consumerIds(consumers[0], target) : undefined;
      const access = repositoryAccess(repo, { readOnly: true });
      // Only a volume Cairn created (or one whose consumer's fsGroup is taken) gets a default fsGroup; a
      // filesystem repository is mounted read-only here and reached through the supplemental group 65532.
      const defaultFsGroup = r.spec.target.newPVC !== undefined || consumer !== undefined;
      const started = await startJob(
        this.ctx,
        buildMoverJob({
          name: jobName,
          namespace: ns,
          owner: r,
          purpose: 'restore',
          image: this.ctx.config.moverImage,
          imagePullSecrets: this.ctx.config.moverImagePullSecrets,
          command: this.ctx.config.moverCommand,
          invocation: {
            command: 'snapshot restore', snapshot: resolved.ref, target: DATA_DIR, ...resolved.select,
            ...(r.spec.paths !== undefined ? { paths: r.spec.paths } : {}), overwrite: r.spec.overwrite === true,
          },
          access,
          data: { claimName: target, readOnly: false },
          overrides,
          privileged,
          consumer,
          defaultFsGroup,
          nodeName: placement.nodeName,
          tolerations: placement.tolerations,
          labels: { [LABELS.repository]: labelValue(r.spec.repository), [LABELS.pvc]: labelValue(target) },
          logLevel: this.ctx.config.moverLogLevel,
        }),
      );
      if (started.state === 'Rejected') {
        finish('Failed', started.reason, `${started.message}; then create a new Restore`);
        await write();
        return;
      }
      st.job = jobName;
      st.phase = 'Running';
      st.progress = 'WaitingForPod';
      st.conditions = setCondition(st.conditions, { type: 'Completed', status: 'False', reason: 'Running', message: `restore Job ${jobName} started` }, gen, stamp);
      this.ctx.events.record(r, 'Normal', 'RestoreStarted', `restoring ${resolved.ref} into PVC ${target}`);
      await write();
      return;
    }

    const tracked = await trackJob(this.ctx, ns, st.job);
    if (tracked.state === 'Lost') {
      // Never re-run a restore on its own: the target may hold part of the data now.
      finish('Failed', tracked.reason, `${tracked.message}; create a new Restore to try again`);
      await write();
      return;
    }
    if (tracked.state === 'Running') {
      st.progress = tracked.stuck !== undefined ? tracked.stuck.reason : (tracked.job?.status?.active ?? 0) > 0 ? 'Restoring' : 'WaitingForPod';
      if (tracked.stuck !== undefined) {
        st.conditions = setCondition(st.conditions, { type: 'Completed', status: 'False', reason: tracked.stuck.reason, message: tracked.stuck.message }, gen, stamp);
      }
      await write();
      return { pollAfterMs: tracked.pollMs };
    }
    const { outcome } = tracked;
    const result = outcome.result;
    if (result?.snapshot?.id !== undefined) st.snapshotId = result.snapshot.id;
    if (result?.restore !== undefined) {
      st.result = { files: result.restore.files, dirs: result.restore.dirs, bytes: result.restore.bytes, durationSeconds: result.durationSeconds };
    }
    if (outcome.phase === 'Succeeded') finish('Succeeded', 'Restored', `restored ${result?.restore?.files ?? '?'} files into PVC ${target}`);
    else if (result?.code === 'NOT_FOUND' && r.spec.onMissingSnapshot === 'Continue') finish('Skipped', 'SnapshotNotFound', 'no snapshot matched; onMissingSnapshot is Continue, target left as it is');
    else finish('Failed', outcome.reason ?? 'Failed', outcome.message ?? 'restore failed');
    await write();
  }

  /** The `snapshot restore` reference and extra flags, or why there is nothing to restore. */
  private resolve(r: Restore): { ref: string; select: { source?: string; asOf?: string }; snapshotId?: string } | { missing: string } {
    const ns = r.metadata.namespace!;
    const src = r.spec.source;
    if (src.snapshotRef !== undefined) {
      const rec: Snapshot | undefined = this.ctx.caches.snapshots.get(ns, src.snapshotRef.name);
      if (rec === undefined) return { missing: `Snapshot ${ns}/${src.snapshotRef.name} does not exist` };
      return { ref: rec.spec.snapshotId, select: {}, snapshotId: rec.spec.snapshotId };
    }
    if (src.snapshotId !== undefined) return { ref: src.snapshotId, select: {}, snapshotId: src.snapshotId };
    const pvc = src.pvc!;
    const identity = `${pvc.namespace ?? ns}@cairn:${pvc.sourcePathPrefix.replace(/\/+$/, '')}/${pvc.name}`;
    // "Latest" is pinned to the Restore's creation: a retried pod restores the same snapshot, never one
    // that a schedule took in between.
    const asOf = pvc.asOf ?? r.metadata.creationTimestamp;
    return { ref: 'latest', select: { source: identity, ...(asOf !== undefined ? { asOf } : {}) } };
  }

  private async ensureTarget(r: Restore): Promise<PersistentVolumeClaim | undefined> {
    const ns = r.metadata.namespace!;
    const t = r.spec.target;
    if (t.existingPVC !== undefined) {
      try {
        return await this.ctx.client.get<PersistentVolumeClaim>(PVCS, ns, t.existingPVC.name);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }
    const n = t.newPVC!;
    const pvc: PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      // Not labelled managed-by cairn-operator: once restored, the volume is the app's (and schedules'
      // selectors must see it). cairn.dev/restore records where it came from.
      metadata: { name: n.name, namespace: ns, labels: { ...(n.labels ?? {}), [LABELS.restore]: labelValue(r.metadata.name ?? '') } },
      spec: {
        accessModes: n.accessModes,
        ...(n.storageClassName !== undefined ? { storageClassName: n.storageClassName } : {}),
        resources: { requests: { storage: n.capacity } },
      },
    };
    try {
      return await this.ctx.client.create<PersistentVolumeClaim>(PVCS, ns, pvc);
    } catch (e) {
      if (isAlreadyExists(e)) return this.ctx.client.get<PersistentVolumeClaim>(PVCS, ns, n.name);
      throw e;
    }
  }
}
