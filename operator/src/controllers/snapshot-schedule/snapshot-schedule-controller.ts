// Reconciles SnapshotSchedules: validates the schedule, drives the active run's sources (Jobs, staging,
// results, Snapshot records, retention), decides with planRun() whether a new run starts, and writes the
// outcome to status, Events and metrics. Status is the only memory: a restarted or new leader continues
// from it, and the deterministic names of everything it creates make repeated steps harmless.
import type { PersistentVolumeClaim } from '../../api/core-types.ts';
import type { BackupRepository, ScheduleRun, SnapshotSchedule, SnapshotScheduleStatus } from '../../api/resources.ts';
import { getCondition, setCondition } from '../../api/conditions.ts';
import { LABELS, MANAGED_BY, shortHash } from '../../api/names.ts';
import type { OperatorContext } from '../../operator-context.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { toRfc3339 } from '../../runtime/clock.ts';
import { isNotFound } from '../../runtime/kube-client.ts';
import { PVCS, SNAPSHOT_SCHEDULES } from '../../runtime/resource-type.ts';
import { CronSchedule } from '../../schedule/cron-schedule.ts';
import { jitterMs, parseDurationMs } from '../../schedule/next-run.ts';
import { checkTimeZone } from '../../schedule/time-zone.ts';
import { planRun } from '../../schedule/run-planner.ts';
import type { StepResult } from './source-runner.ts';
import { SourceRunner, isTerminal } from './source-runner.ts';
import { selectorString } from './label-selector.ts';
import { repositoryReadiness } from '../backup-repository/repository-readiness.ts';
import { exportScheduleMetrics, finishRun } from './run-outcome.ts';
import { expireJobName, snapshotJobName } from './snapshot-jobs.ts';
import { pruneJobHistory } from '../job-tracking/job-history.ts';

const ACTIVE_POLL_MS = 30_000;

function fieldDuration(field: string, text: string): number {
  try {
    return parseDurationMs(text);
  } catch (e) {
    throw new Error(`${field}: ${(e as Error).message}`, { cause: e });
  }
}
const ms = (t: string | undefined): number | undefined => (t === undefined ? undefined : Date.parse(t));

export class SnapshotScheduleController {
  private readonly ctx: OperatorContext;

  constructor(ctx: OperatorContext) {
    this.ctx = ctx;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const [ns, name] = key.split('/') as [string, string];
    let s: SnapshotSchedule;
    try {
      s = await this.ctx.client.get<SnapshotSchedule>(SNAPSHOT_SCHEDULES, ns, name);
    } catch (e) {
      if (isNotFound(e)) {
        this.ctx.metrics.forgetSchedule(ns, name);
        return;
      }
      throw e;
    }
    if (s.metadata.deletionTimestamp !== undefined) return;
    const now = this.ctx.clock.now();
    const stamp = toRfc3339(now);
    const gen = s.metadata.generation;
    const st: SnapshotScheduleStatus = structuredClone(s.status ?? {});
    st.observedGeneration = gen;

    let cron: CronSchedule;
    let jitter: number;
    try {
      cron = CronSchedule.parse(s.spec.schedule, s.metadata.uid ?? name);
      checkTimeZone(s.spec.timeZone);
      jitter = s.spec.jitter !== undefined ? jitterMs(s.metadata.uid ?? name, fieldDuration('spec.jitter', s.spec.jitter)) : 0;
      if (fieldDuration('spec.stagingTimeout', s.spec.stagingTimeout) <= 0) throw new Error('spec.stagingTimeout must be longer than 0s (e.g. 2h)');
    } catch (e) {
      const message = (e as Error).message;
      if (getCondition(st.conditions, 'Ready')?.message !== message) this.ctx.events.record(s, 'Warning', 'InvalidSchedule', message);
      st.conditions = setCondition(st.conditions, { type: 'Ready', status: 'False', reason: 'InvalidSchedule', message }, gen, stamp);
      st.state = 'Failed';
      delete st.nextRunTime;
      await this.write(s, st);
      return;
    }
    st.effectiveSchedule = cron.effective;

    const repo = this.ctx.caches.repositories.get(ns, s.spec.repository);
    const readiness = repositoryReadiness(repo, ns, s.spec.repository);
    const repoReady = readiness.ready;
    let poll: number | undefined;

    // 1. Drive the active run.
    if (st.activeRun !== undefined && repo !== undefined) {
      poll = await this.progress(s, repo, st, stamp);
    }

    // 2. Decide whether a new run starts.
    const plan = planRun({
      now,
      cron,
      timeZone: s.spec.timeZone,
      jitterMs: jitter,
      suspend: s.spec.suspend,
      startingDeadlineSeconds: s.spec.startingDeadlineSeconds,
      concurrencyPolicy: s.spec.concurrencyPolicy,
      lastScheduleTime: ms(st.lastScheduleTime),
      createdAt: ms(s.metadata.creationTimestamp) ?? now,
      active: st.activeRun !== undefined,
      manualToken: s.spec.trigger?.manual,
      lastManualTrigger: st.lastManualTrigger,
      activeManualToken: st.activeRun?.manualToken,
    });
    let missed = plan.missed;
    let start = plan.start;
    if (start !== undefined && !repoReady) {
      // Nothing can run without an open repository: scheduled due times count as missed, manual triggers wait.
      if (start.trigger === 'Schedule') missed++;
      start = undefined;
    }
    if (plan.lastScheduleTime !== undefined) st.lastScheduleTime = toRfc3339(plan.lastScheduleTime);
    if (missed > 0) {
      st.missedRuns = (st.missedRuns ?? 0) + missed;
      this.ctx.metrics.scheduleMissedRuns.inc({ namespace: ns, schedule: name }, missed);
      this.ctx.events.record(s, 'Warning', 'MissedRun', `${missed} due time(s) passed without a run`);
    }
    if (plan.nextRunTime !== undefined) st.nextRunTime = toRfc3339(plan.nextRunTime);
    else delete st.nextRunTime;

    if (start !== undefined && repo !== undefined) {
      if (plan.replaceActive && st.activeRun !== undefined) await this.replace(s, repo, st, stamp);
      const run: ScheduleRun = {
        id: start.trigger === 'Schedule' ? `s${Math.floor(start.scheduledTime / 60_000).toString(36)}` : `m${shortHash(start.token)}`,
        trigger: start.trigger,
        ...(start.trigger === 'Manual' ? { manualToken: start.token } : { scheduledTime: toRfc3339(start.scheduledTime) }),
        startTime: stamp,
        result: 'Running',
        sources: (await this.resolveSources(s)).map((pvc) => ({ pvc, phase: 'Pending' as const })),
      };
      st.activeRun = run;
      this.ctx.events.record(s, 'Normal', 'RunStarted', `${run.trigger === 'Manual' ? `manual trigger ${run.manualToken ?? ''}` : `due time ${run.scheduledTime ?? ''}`}: ${run.sources?.length ?? 0} PVC(s)`);
      // Persist the run before creating anything, then create its objects.
      s = await this.write(s, st);
      poll = await this.progress(s, repo, st, stamp);
    }

    // 3. Conditions and state.
    if (!readiness.ready) {
      st.conditions = setCondition(st.conditions, { type: 'Ready', status: 'False', reason: readiness.reason, message: readiness.message }, gen, stamp);
    } else {
      st.conditions = setCondition(st.conditions, { type: 'Ready', status: 'True', reason: s.spec.suspend ? 'Suspended' : 'Scheduled', message: s.spec.suspend ? 'schedule is suspended' : 'schedule is active' }, gen, stamp);
    }
    st.state =
      st.activeRun !== undefined ? 'Running'
      : s.spec.suspend ? 'Suspended'
      : st.lastRun?.result === 'Failed' ? 'Failed'
      : st.lastRun?.result === 'PartiallySucceeded' ? 'Partial'
      : 'Idle';
    if (st.activeRun === undefined) {
      st.conditions = setCondition(st.conditions, { type: 'Progressing', status: 'False', reason: 'Idle', message: 'no run is active' }, gen, stamp);
    }
    s = await this.write(s, st);
    const jobsOf = (run: ScheduleRun | undefined): Set<string> => new Set((run?.sources ?? []).flatMap((x) => [snapshotJobName(s, run!, x.pvc), expireJobName(s, run!, x.pvc)]));
    const limits = { successful: s.spec.successfulJobsHistoryLimit, failed: s.spec.failedJobsHistoryLimit };
    await pruneJobHistory(this.ctx, s, limits, jobsOf(st.activeRun), jobsOf(st.lastRun));

    exportScheduleMetrics(this.ctx, ns, name, st);
    // While a run is active, look again now and then: a pod stuck Pending produces no further events.
    if (st.activeRun !== undefined) poll = Math.min(poll ?? ACTIVE_POLL_MS, ACTIVE_POLL_MS);
    return {
      ...(plan.wakeAt !== undefined ? { requeueAt: Math.max(now + 1_000, plan.wakeAt) } : {}),
      ...(poll !== undefined ? { pollAfterMs: poll } : {}),
    };
  }

  private stagingTimeoutMs(s: SnapshotSchedule): number {
    return parseDurationMs(s.spec.stagingTimeout);
  }

  private async write(s: SnapshotSchedule, st: SnapshotScheduleStatus): Promise<SnapshotSchedule> {
    return this.ctx.status.update(SNAPSHOT_SCHEDULES, s, () => structuredClone(st));
  }

  /**
   * The PVCs of a new run: pvcNames as listed, plus those the selector matches except Cairn's own volumes
   * (staging copies and caches, labelled managed-by cairn-operator; filesystem repositories of the namespace;
   * targets of Restores still running), which `selector: {}` would otherwise back up too.
   */
  private async resolveSources(s: SnapshotSchedule): Promise<string[]> {
    const names = new Set(s.spec.sources.pvcNames ?? []);
    if (s.spec.sources.selector !== undefined) {
      const ns = s.metadata.namespace;
      const own = new Set<string>();
      for (const r of this.ctx.caches.repositories.list(ns)) if (r.spec.storage.filesystem !== undefined) own.add(r.spec.storage.filesystem.claimName);
      for (const r of this.ctx.caches.restores.list(ns)) {
        if (r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed' || r.status?.phase === 'Skipped') continue;
        own.add(r.spec.target.existingPVC?.name ?? r.spec.target.newPVC?.name ?? '');
      }
      const { items } = await this.ctx.client.list<PersistentVolumeClaim>(PVCS, ns, { labelSelector: selectorString(s.spec.sources.selector) });
      for (const pvc of items) {
        if (pvc.metadata.labels?.[LABELS.managedBy] === MANAGED_BY || own.has(pvc.metadata.name!)) continue;
        names.add(pvc.metadata.name!);
      }
    }
    return [...names].sort();
  }

  /** Advance every source of the active run; finish the run when all are done. Returns a poll interval. */
  private async progress(s: SnapshotSchedule, repo: BackupRepository, st: SnapshotScheduleStatus, stamp: string): Promise<number | undefined> {
    const run = st.activeRun!;
    const runner = new SourceRunner(this.ctx, s, repo, run, this.stagingTimeoutMs(s));
    const gen = s.metadata.generation;
    let poll: number | undefined;
    let stuck: StepResult['stuck'];
    for (const src of run.sources ?? []) {
      if (isTerminal(src)) continue;
      const r = await runner.step(src);
      if (r.pollMs !== undefined) poll = Math.min(poll ?? r.pollMs, r.pollMs);
      if (r.stuck !== undefined) stuck ??= r.stuck;
      if (r.permissionDenied !== undefined) {
        st.conditions = setCondition(st.conditions, { type: 'MoverPermitted', status: 'False', reason: 'PrivilegedMoverNotPermitted', message: r.permissionDenied }, gen, stamp);
        this.ctx.events.record(s, 'Warning', 'PrivilegedMoverNotPermitted', r.permissionDenied);
      }
    }
    if (stuck !== undefined) {
      const prev = getCondition(st.conditions, 'Progressing');
      if (prev?.reason !== stuck.reason) this.ctx.events.record(s, 'Warning', stuck.reason, stuck.message, 'MoverPodStuck');
      st.conditions = setCondition(st.conditions, { type: 'Progressing', status: 'False', reason: stuck.reason, message: stuck.message }, gen, stamp);
    } else {
      st.conditions = setCondition(st.conditions, { type: 'Progressing', status: 'True', reason: 'Running', message: `run ${run.id ?? ''} is in progress` }, gen, stamp);
    }
    if ((run.sources ?? []).every(isTerminal)) finishRun(this.ctx, s, st, stamp);
    return poll;
  }

  private async replace(s: SnapshotSchedule, repo: BackupRepository, st: SnapshotScheduleStatus, stamp: string): Promise<void> {
    const run = st.activeRun!;
    const runner = new SourceRunner(this.ctx, s, repo, run, this.stagingTimeoutMs(s));
    for (const src of run.sources ?? []) if (!isTerminal(src)) await runner.stop(src);
    finishRun(this.ctx, s, st, stamp);
  }
}
