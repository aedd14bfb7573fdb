// Moves one source (PVC) of an active SnapshotSchedule run through its phases:
//   Pending -> [Staging] -> Running -> [Retention] -> Succeeded | Failed
// Every step is idempotent: objects have deterministic names, so a restarted or new leader picks up a run
// where the status says it is and adopts Jobs that already exist instead of starting them again. Staging
// objects (staging.ts) are deleted on every way out of the run (result, failure, timeout, Replace).
import type { Job, Namespace, PersistentVolumeClaim } from '../../api/core-types.ts';
import type { BackupRepository, ScheduleRun, ScheduleRunSourcesItem, SnapshotSchedule } from '../../api/resources.ts';
import type { ConsumerIds } from '../../jobs/pod-security.ts';
import { consumerIds, privilegedMoverDenied } from '../../jobs/pod-security.ts';
import type { OperatorContext } from '../../operator-context.ts';
import { isAlreadyExists, isNotFound } from '../../runtime/kube-client.ts';
import { JOBS, NAMESPACES, PVCS } from '../../runtime/resource-type.ts';
import type { FinishedOutcome, Stuck } from '../job-tracking/job-tracker.ts';
import { startJob, trackJob } from '../job-tracking/job-tracker.ts';
import { consumersOf } from '../placement/consumer.ts';
import type { Placement } from '../placement/placement.ts';
import { blockRefusal, mountRefusal, placementFor } from '../placement/placement.ts';
import { recordSnapshot } from '../retention/snapshot-records.ts';
import type { RetentionNote } from '../retention/run-expiry.ts';
import { applyRunExpiry } from '../retention/run-expiry.ts';
import { buildCachePvc, buildExpireJob, cacheClaimName, buildSnapshotJob, expireJobName, mergedOverrides, persistentCache, snapshotJobName, sourceIdentity } from './snapshot-jobs.ts';
import { Staging } from './staging.ts';

export type Source = ScheduleRunSourcesItem;

export interface StepResult {
  /** Poll again after this long (objects we do not watch, such as VolumeSnapshots). */
  readonly pollMs?: number;
  /** A pod that cannot start, reported on the schedule. */
  readonly stuck?: Stuck;
  readonly permissionDenied?: string;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);
export const isTerminal = (src: Source): boolean => TERMINAL.has(src.phase ?? 'Pending');

export class SourceRunner {
  private readonly ctx: OperatorContext;
  private readonly s: SnapshotSchedule;
  private readonly repo: BackupRepository;
  private readonly run: ScheduleRun;
  private readonly staged: Staging;

  constructor(ctx: OperatorContext, s: SnapshotSchedule, repo: BackupRepository, run: ScheduleRun, stagingTimeoutMs: number) {
    this.ctx = ctx;
    this.s = s;
    this.repo = repo;
    this.run = run;
    this.staged = new Staging(ctx, s, run, stagingTimeoutMs);
  }

  private get ns(): string {
    return this.s.metadata.namespace!;
  }

  /** Advance `src` (mutated in place) as far as it can go now. */
  async step(src: Source): Promise<StepResult> {
    for (let guard = 0; guard < 5; guard++) {
      const before = src.phase;
      const r = await this.stepOnce(src);
      if (r.pollMs !== undefined || r.stuck !== undefined || r.permissionDenied !== undefined || src.phase === before || isTerminal(src)) return r;
    }
    return {};
  }

  private async stepOnce(src: Source): Promise<StepResult> {
    switch (src.phase ?? 'Pending') {
      case 'Pending':
        return this.start(src);
      case 'Staging':
        return this.staging(src);
      case 'Running':
        return this.running(src);
      case 'Retention':
        return this.retention(src);
      default:
        return {};
    }
  }

  private fail(src: Source, reason: string, message: string): StepResult {
    src.phase = 'Failed';
    src.reason = reason;
    src.message = message;
    return {};
  }

  /** Fail `src` after deleting its staging objects (they are full-size volume copies). */
  private async failStaged(src: Source, reason: string, message: string): Promise<StepResult> {
    await this.cleanupStaging(src);
    return this.fail(src, reason, message);
  }

  private async getPvc(name: string): Promise<PersistentVolumeClaim | undefined> {
    try {
      return await this.ctx.client.get<PersistentVolumeClaim>(PVCS, this.ns, name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async privileged(): Promise<{ privileged: boolean; denied?: string }> {
    const wanted = mergedOverrides(this.repo, this.s).privileged === true;
    if (!wanted) return { privileged: false };
    const denied = privilegedMoverDenied(await this.ctx.client.get<Namespace>(NAMESPACES, undefined, this.ns));
    return denied === undefined ? { privileged: true } : { privileged: false, denied };
  }

  /** The pods using the source PVC decide where a Direct mover runs and (securityContextFrom Consumer) its ids. */
  private async consumer(pvc: PersistentVolumeClaim): Promise<{ placement: Placement; ids?: ConsumerIds; refusal?: ReturnType<typeof mountRefusal> }> {
    const from = mergedOverrides(this.repo, this.s).securityContextFrom ?? 'Consumer';
    const direct = this.s.spec.copyMethod === 'Direct';
    if (!direct && from === 'None') return { placement: {} };
    const consumers = await consumersOf(this.ctx, pvc);
    const first = consumers[0];
    return {
      placement: direct ? placementFor(pvc, consumers) : {},
      ...(from === 'Consumer' && first !== undefined ? { ids: consumerIds(first, pvc.metadata.name!) } : {}),
      ...(direct ? { refusal: mountRefusal(pvc, consumers) } : {}),
    };
  }

  private async start(src: Source): Promise<StepResult> {
    const pvc = await this.getPvc(src.pvc);
    if (pvc === undefined) return this.fail(src, 'PVCNotFound', `PersistentVolumeClaim ${this.ns}/${src.pvc} does not exist`);
    const block = blockRefusal(pvc);
    if (block !== undefined) return this.fail(src, block.reason, block.message);
    const priv = await this.privileged();
    if (priv.denied !== undefined) {
      this.fail(src, 'PrivilegedMoverNotPermitted', priv.denied);
      return { permissionDenied: priv.denied };
    }
    const method = this.s.spec.copyMethod;
    if (method === 'Snapshot') {
      if (!(await this.staged.createSnapshot(src.pvc))) {
        return this.fail(src, 'VolumeSnapshotUnsupported', 'the snapshot.storage.k8s.io/v1 API is not installed; use copyMethod Direct or Clone explicitly');
      }
      src.phase = 'Staging';
      return {};
    }
    const { placement, ids, refusal } = await this.consumer(pvc);
    if (refusal !== undefined) return this.fail(src, refusal.reason, refusal.message);
    const claim = method === 'Clone' ? await this.staged.createPvc(pvc, 'Clone') : src.pvc;
    return this.startSnapshotJob(src, buildSnapshotJob(this.ctx, this.s, this.repo, this.run, src, claim, placement, priv.privileged, ids));
  }

  private async staging(src: Source): Promise<StepResult> {
    const vs = await this.staged.snapshotState(src.pvc);
    if (vs.state === 'missing') {
      src.phase = 'Pending'; // deleted under us: take it again
      return {};
    }
    if (vs.state === 'failed') return this.failStaged(src, vs.reason, vs.message);
    if (vs.state === 'pending') return { pollMs: vs.pollMs };
    const pvc = await this.getPvc(src.pvc);
    if (pvc === undefined) return this.failStaged(src, 'PVCNotFound', `PersistentVolumeClaim ${this.ns}/${src.pvc} does not exist`);
    const claim = await this.staged.createPvc(pvc, 'Snapshot', vs.restoreSize);
    const priv = await this.privileged();
    const { ids } = await this.consumer(pvc);
    return this.startSnapshotJob(src, buildSnapshotJob(this.ctx, this.s, this.repo, this.run, src, claim, {}, priv.privileged, ids));
  }

  /**
   * The source's cache PVC, when the schedule keeps its cache across runs: created before the first Job that
   * mounts it and kept (owned by the schedule) for the runs after it.
   */
  private async ensureCache(pvc: string): Promise<void> {
    const cache = persistentCache(this.repo, this.s);
    if (cache === undefined) return;
    try {
      await this.ctx.client.create(PVCS, this.ns, buildCachePvc(this.s, pvc, cache));
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  /** A stuck mover whose persistent cache PVC is not bound: the message names the PVC and what to change. */
  private async withCacheNote(pvc: string, stuck: Stuck): Promise<Stuck> {
    const cache = persistentCache(this.repo, this.s);
    if (cache === undefined) return stuck;
    const claim = await this.getPvc(cacheClaimName(this.s, pvc));
    if (claim === undefined || claim.status?.phase === 'Bound') return stuck;
    return {
      reason: stuck.reason,
      message: `${stuck.message}; its cache PVC ${this.ns}/${claim.metadata.name ?? ''} is ${claim.status?.phase ?? 'Pending'}: ` +
        `check its StorageClass (spec.mover.cache.storageClassName, else the cluster's default) or set spec.mover.cache.persistent false`,
    };
  }

  /** A Job the API server rejects as invalid fails the source (its spec needs fixing); API errors are thrown. */
  private async startSnapshotJob(src: Source, job: Job): Promise<StepResult> {
    await this.ensureCache(src.pvc);
    const started = await startJob(this.ctx, job);
    if (started.state === 'Rejected') return this.failStaged(src, started.reason, started.message);
    src.job = started.job.metadata.name;
    src.phase = 'Running';
    return {};
  }

  private async running(src: Source): Promise<StepResult> {
    const name = snapshotJobName(this.s, this.run, src.pvc);
    const tracked = await trackJob(this.ctx, this.ns, name);
    if (tracked.state === 'Lost') return this.failStaged(src, tracked.reason, `${tracked.message}; the next run takes a new snapshot`);
    if (tracked.state === 'Running') {
      if (tracked.stuck !== undefined) {
        const unbound = await this.staged.unbound(src.pvc);
        if (unbound !== undefined) {
          await this.deleteJob(name);
          return this.failStaged(src, 'StagingTimedOut', unbound);
        }
        const stuck = await this.withCacheNote(src.pvc, tracked.stuck);
        src.reason = stuck.reason;
        src.message = stuck.message;
        return { stuck, pollMs: tracked.pollMs };
      }
      if (src.reason !== undefined) {
        delete src.reason;
        delete src.message;
      }
      return { pollMs: tracked.pollMs };
    }
    const step = await this.finished(src, name, tracked.outcome);
    await this.releaseStaged(src, name);
    return step;
  }

  /**
   * A staged run's Job goes as soon as its result is recorded, and its staging objects with it: the PVC
   * protection controller keeps a PVC for as long as any pod references it, finished or not, so a kept
   * Job's pod would hold the staging PVC (and its VolumeSnapshot) until the Job history is pruned.
   */
  private async releaseStaged(src: Source, jobName: string): Promise<void> {
    if (this.s.spec.copyMethod === 'Direct') return;
    await this.deleteJob(jobName);
    await this.cleanupStaging(src);
  }

  private async finished(src: Source, name: string, outcome: FinishedOutcome): Promise<StepResult> {
    const result = outcome.result;
    const snapshot = result?.snapshot;
    if (snapshot !== undefined && (outcome.phase === 'Succeeded' || result?.code === 'PARTIAL')) {
      src.snapshot = await recordSnapshot(this.ctx, this.s, src.pvc, sourceIdentity(this.s, src.pvc), result!);
      src.snapshotId = snapshot.id;
      src.bytes = snapshot.bytes;
      src.files = snapshot.files;
      src.durationSeconds = result!.durationSeconds;
      if (result!.peakMemoryBytes !== undefined) src.peakMemoryBytes = result!.peakMemoryBytes;
      delete src.reason;
      delete src.message;
      if (snapshot.partial) {
        const first = snapshot.skipped.slice(0, 3).join(', ');
        src.skipped = snapshot.skippedCount;
        src.reason = 'PartialSnapshot';
        src.message =
          `${snapshot.skippedCount} entries could not be read${first !== '' ? ` (${first}${snapshot.skippedCount > 3 ? ', ...' : ''})` : ''}; ` +
          'run the mover as their owner (spec.mover.securityContextFrom, podSecurityContext, privileged) or exclude them';
      }
      if (this.s.spec.retention !== undefined) {
        await this.ensureCache(src.pvc);
        const started = await startJob(this.ctx, buildExpireJob(this.ctx, this.s, this.repo, this.run, src.pvc));
        if (started.state === 'Rejected') return this.retentionDone(src, await applyRunExpiry(this.ctx, this.s, this.repo, src.pvc, started));
        src.phase = 'Retention';
      } else {
        src.phase = 'Succeeded';
      }
      return {};
    }
    if (outcome.phase === 'Succeeded') return this.fail(src, 'NoResult', `mover Job ${name} succeeded without leaving a snapshot result`);
    return this.fail(src, outcome.reason ?? 'JobFailed', outcome.message ?? `mover Job ${name} failed`);
  }

  private async retention(src: Source): Promise<StepResult> {
    const name = expireJobName(this.s, this.run, src.pvc);
    const tracked = await trackJob(this.ctx, this.ns, name);
    if (tracked.state === 'Running') return { pollMs: tracked.pollMs, ...(tracked.stuck !== undefined ? { stuck: tracked.stuck } : {}) };
    return this.retentionDone(src, await applyRunExpiry(this.ctx, this.s, this.repo, src.pvc, tracked));
  }

  /** The snapshot is recorded either way: retention that did not apply is a note on the source. */
  private retentionDone(src: Source, note: RetentionNote | undefined): StepResult {
    if (note !== undefined) {
      src.reason = note.reason;
      src.message = note.message;
    }
    src.phase = 'Succeeded';
    return {};
  }

  async cleanupStaging(src: Source): Promise<void> {
    await this.staged.cleanup(src.pvc);
  }

  private async deleteJob(name: string): Promise<void> {
    try {
      await this.ctx.client.delete(JOBS, this.ns, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Stop this source's Jobs (concurrencyPolicy Replace). */
  async stop(src: Source): Promise<void> {
    for (const name of [snapshotJobName(this.s, this.run, src.pvc), expireJobName(this.s, this.run, src.pvc)]) await this.deleteJob(name);
    await this.cleanupStaging(src);
    src.phase = 'Failed';
    src.reason = 'Replaced';
    src.message = 'stopped by a newer run (concurrencyPolicy Replace)';
  }
}
