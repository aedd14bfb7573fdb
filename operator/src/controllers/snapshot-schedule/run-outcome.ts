// How a finished SnapshotSchedule run is recorded: its result (Succeeded, PartiallySucceeded, Failed) with a
// reason, the schedule's status fields and conditions, Events, and the schedule's metrics. Also the gauges
// re-exported from persisted status, so a new leader reports them before it finishes a run of its own.
import type { ScheduleRunSourcesItem, SnapshotSchedule, SnapshotScheduleStatus } from '../../api/resources.ts';
import { setCondition } from '../../api/conditions.ts';
import type { OperatorContext } from '../../operator-context.ts';

/**
 * Close the active run. A partial run (some PVC's snapshot misses entries the mover could not read) is its
 * own outcome: its snapshots are recorded, but it is not a success (lastSuccessTime and the failure count
 * stay as they are), LastRunSucceeded is False with reason PartialSnapshot, and
 * cairn_schedule_last_run_partial says so.
 */
export function finishRun(ctx: OperatorContext, s: SnapshotSchedule, st: SnapshotScheduleStatus, stamp: string): void {
  const run = st.activeRun!;
  const ns = s.metadata.namespace!;
  const name = s.metadata.name!;
  const sources = run.sources ?? [];
  const failed = sources.find((x) => x.phase === 'Failed');
  const partial = sources.filter((x) => (x.skipped ?? 0) > 0);
  const skipped = partial.reduce((a, x) => a + (x.skipped ?? 0), 0);
  run.completionTime = stamp;
  if (sources.length === 0) {
    run.result = 'Failed';
    run.reason = 'NoMatchingPVCs';
    run.message = 'no PersistentVolumeClaim matched spec.sources';
  } else if (failed !== undefined) {
    run.result = 'Failed';
    run.reason = failed.reason ?? 'Failed';
    run.message = `PVC ${failed.pvc}: ${failed.message ?? ''}`;
  } else if (partial.length > 0) {
    run.result = 'PartiallySucceeded';
    run.reason = 'PartialSnapshot';
    run.message = `${sources.length} PVC(s) snapshotted, but ${skipped} entries could not be read: ${partial.map((x) => `PVC ${x.pvc}: ${x.message ?? ''}`).join('; ')}`;
  } else {
    run.result = 'Succeeded';
    run.reason = 'Succeeded';
    run.message = `${sources.length} PVC(s) snapshotted`;
  }
  st.lastRun = run;
  delete st.activeRun;
  if (run.trigger === 'Manual' && run.manualToken !== undefined) st.lastManualTrigger = run.manualToken;
  const gen = s.metadata.generation;
  const labels = { namespace: ns, schedule: name };
  const m = ctx.metrics;
  m.scheduleRuns.inc({ ...labels, result: run.result });
  if (run.result === 'Failed') {
    st.consecutiveFailures = (st.consecutiveFailures ?? 0) + 1;
    m.scheduleConsecutiveFailures.set(labels, st.consecutiveFailures);
    st.conditions = setCondition(st.conditions, { type: 'LastRunSucceeded', status: 'False', reason: run.reason ?? 'Failed', message: run.message ?? '' }, gen, stamp);
    ctx.events.record(s, 'Warning', 'RunFailed', `${run.reason ?? ''}: ${run.message ?? ''}`);
    return;
  }
  const newest = sources.filter((x) => x.snapshot !== undefined).at(-1);
  if (newest !== undefined) {
    st.lastSnapshot = newest.snapshot;
    st.lastSnapshotTime = stamp;
  }
  const { bytes, files } = setCompletedRunGauges(ctx, labels, sources, (Date.parse(stamp) - Date.parse(run.startTime ?? stamp)) / 1000);
  m.scheduleLastRunPartial.set(labels, partial.length > 0 ? 1 : 0);
  m.scheduleLastSkippedEntries.set(labels, skipped);
  if (partial.length > 0) {
    st.conditions = setCondition(st.conditions, { type: 'LastRunSucceeded', status: 'False', reason: 'PartialSnapshot', message: run.message ?? '' }, gen, stamp);
    ctx.events.record(s, 'Warning', 'RunPartiallySucceeded', run.message ?? '');
    return;
  }
  st.consecutiveFailures = 0;
  st.lastSuccessTime = stamp;
  m.scheduleLastSuccess.set(labels, Date.parse(stamp) / 1000);
  m.scheduleConsecutiveFailures.set(labels, 0);
  st.conditions = setCondition(st.conditions, { type: 'LastRunSucceeded', status: 'True', reason: run.reason ?? 'Succeeded', message: run.message ?? '' }, gen, stamp);
  ctx.events.record(s, 'Normal', 'RunSucceeded', `${run.message ?? ''}: ${files} files, ${bytes} bytes`);
}

/** Gauges from persisted status, so a new leader (or a restarted operator) reports them at once. */
export function exportScheduleMetrics(ctx: OperatorContext, ns: string, name: string, st: SnapshotScheduleStatus): void {
  const labels = { namespace: ns, schedule: name };
  const m = ctx.metrics;
  if (st.lastSuccessTime !== undefined) m.scheduleLastSuccess.set(labels, Date.parse(st.lastSuccessTime) / 1000);
  m.scheduleConsecutiveFailures.set(labels, st.consecutiveFailures ?? 0);
  const last = st.lastRun;
  if (last !== undefined && last.result !== 'Failed' && last.result !== 'Running') {
    const sources = last.sources ?? [];
    m.scheduleLastRunPartial.set(labels, last.result === 'PartiallySucceeded' ? 1 : 0);
    m.scheduleLastSkippedEntries.set(labels, sources.reduce((a, x) => a + (x.skipped ?? 0), 0));
    const seconds = (Date.parse(last.completionTime ?? '') - Date.parse(last.startTime ?? '')) / 1000;
    setCompletedRunGauges(ctx, labels, sources, Number.isFinite(seconds) ? seconds : 0);
  }
}

/** Size, files, duration and mover memory of a completed run, from its sources: at its end and at start-up alike. */
function setCompletedRunGauges(ctx: OperatorContext, labels: { namespace: string; schedule: string }, sources: readonly ScheduleRunSourcesItem[],
  runSeconds: number): { bytes: number; files: number } {
  const m = ctx.metrics;
  const bytes = sources.reduce((a, x) => a + (x.bytes ?? 0), 0);
  const files = sources.reduce((a, x) => a + (x.files ?? 0), 0);
  m.scheduleLastBytes.set(labels, bytes);
  m.scheduleLastFiles.set(labels, files);
  m.scheduleLastDuration.set(labels, Math.max(runSeconds, ...sources.map((x) => x.durationSeconds ?? 0)));
  const peaks = sources.flatMap((x) => (x.peakMemoryBytes !== undefined ? [x.peakMemoryBytes] : []));
  if (peaks.length > 0) m.scheduleLastPeakMemory.set(labels, Math.max(...peaks));
  return { bytes, files };
}
