// The staging objects of one run's source with copyMethod Snapshot or Clone: a CSI VolumeSnapshot of the
// PVC and a temporary PVC made from it (Snapshot), or a clone PVC (Clone), which the mover mounts read-only.
// Owned by the schedule (deleting it mid-run garbage-collects them), bounded by spec.stagingTimeout, and
// deleted on every way out of the run.
import type { PersistentVolumeClaim, VolumeSnapshot } from '../../api/core-types.ts';
import type { ScheduleRun, SnapshotSchedule } from '../../api/resources.ts';
import type { OperatorContext } from '../../operator-context.ts';
import { KubeApiError, isAlreadyExists, isNotFound } from '../../runtime/kube-client.ts';
import { PVCS, VOLUME_SNAPSHOTS } from '../../runtime/resource-type.ts';
import { buildStagingPvc, buildVolumeSnapshot, stagingName } from './snapshot-jobs.ts';

const POLL_MS = 5_000;

export type SnapshotState =
  | { readonly state: 'missing' }
  | { readonly state: 'pending'; readonly pollMs: number }
  | { readonly state: 'ready'; readonly restoreSize?: string }
  | { readonly state: 'failed'; readonly reason: 'VolumeSnapshotFailed' | 'StagingTimedOut'; readonly message: string };

export class Staging {
  private readonly ctx: OperatorContext;
  private readonly s: SnapshotSchedule;
  private readonly run: ScheduleRun;
  private readonly timeoutMs: number;

  constructor(ctx: OperatorContext, s: SnapshotSchedule, run: ScheduleRun, timeoutMs: number) {
    this.ctx = ctx;
    this.s = s;
    this.run = run;
    this.timeoutMs = timeoutMs;
  }

  private get ns(): string {
    return this.s.metadata.namespace!;
  }

  /** The name of the VolumeSnapshot and of the staging PVC of `pvc`. */
  name(pvc: string): string {
    return stagingName(this.s, this.run, pvc);
  }

  /** Create the VolumeSnapshot of `pvc`; false when the snapshot API is not installed. */
  async createSnapshot(pvc: string): Promise<boolean> {
    try {
      await this.ctx.client.create(VOLUME_SNAPSHOTS, this.ns, buildVolumeSnapshot(this.s, this.run, pvc));
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return false;
      if (!isAlreadyExists(e)) throw e;
    }
    return true;
  }

  /** Create the staging PVC of `source` (from its VolumeSnapshot, or as a clone); returns its name. */
  async createPvc(source: PersistentVolumeClaim, from: 'Snapshot' | 'Clone', restoreSize?: string): Promise<string> {
    try {
      await this.ctx.client.create(PVCS, this.ns, buildStagingPvc(this.s, this.run, source, from, restoreSize));
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    return this.name(source.metadata.name!);
  }

  private timeoutText(): string {
    return `${Math.round(this.timeoutMs / 60_000)} min (spec.stagingTimeout ${this.s.spec.stagingTimeout})`;
  }

  async snapshotState(pvc: string): Promise<SnapshotState> {
    const name = this.name(pvc);
    let vs: VolumeSnapshot;
    try {
      vs = await this.ctx.client.get<VolumeSnapshot>(VOLUME_SNAPSHOTS, this.ns, name);
    } catch (e) {
      if (isNotFound(e)) return { state: 'missing' };
      throw e;
    }
    if (vs.status?.readyToUse === true) return { state: 'ready', ...(vs.status.restoreSize !== undefined ? { restoreSize: vs.status.restoreSize } : {}) };
    if (vs.status?.error?.message !== undefined) return { state: 'failed', reason: 'VolumeSnapshotFailed', message: vs.status.error.message };
    const left = Date.parse(vs.metadata.creationTimestamp ?? '') + this.timeoutMs - this.ctx.clock.now();
    if (left > 0) return { state: 'pending', pollMs: Math.min(POLL_MS, left) };
    const cls = vs.spec?.volumeSnapshotClassName !== undefined ? ` of class ${vs.spec.volumeSnapshotClassName}` : '';
    return {
      state: 'failed',
      reason: 'StagingTimedOut',
      message: `VolumeSnapshot ${this.ns}/${name}${cls} is not ready to use after ${this.timeoutText()}; check the snapshot controller and CSI driver, or use copyMethod Direct`,
    };
  }

  /** Why the staging PVC of `pvc` counts as stuck: still unbound after the staging timeout. */
  async unbound(pvc: string): Promise<string | undefined> {
    if (this.s.spec.copyMethod === 'Direct') return undefined;
    let staged: PersistentVolumeClaim;
    try {
      staged = await this.ctx.client.get<PersistentVolumeClaim>(PVCS, this.ns, this.name(pvc));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    if (staged.status?.phase === 'Bound') return undefined;
    if (Date.parse(staged.metadata.creationTimestamp ?? '') + this.timeoutMs > this.ctx.clock.now()) return undefined;
    return `staging PVC ${this.ns}/${staged.metadata.name ?? ''} is not bound after ${this.timeoutText()}; check its StorageClass (spec.stagingStorageClassName) and provisioner`;
  }

  /** Delete the staging objects of `pvc` (there are none with copyMethod Direct). */
  async cleanup(pvc: string): Promise<void> {
    if (this.s.spec.copyMethod === 'Direct') return;
    for (const type of this.s.spec.copyMethod === 'Snapshot' ? [PVCS, VOLUME_SNAPSHOTS] : [PVCS]) {
      try {
        await this.ctx.client.delete(type, this.ns, this.name(pvc));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
}
