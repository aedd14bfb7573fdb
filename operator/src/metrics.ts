// Prometheus metrics of the operator (prom-client, own registry). Per schedule: last success time,
// duration, bytes and files of the last snapshot, partial runs, consecutive failures, missed runs; per
// repository: readiness, size, snapshot count and maintenance (last success, failures, runs); restores by
// outcome; per controller: reconcile counts (cairn_controller_reconcile_total), errors and durations.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly scheduleLastSuccess: Gauge<'namespace' | 'schedule'>;
  readonly scheduleLastDuration: Gauge<'namespace' | 'schedule'>;
  readonly scheduleLastBytes: Gauge<'namespace' | 'schedule'>;
  readonly scheduleLastFiles: Gauge<'namespace' | 'schedule'>;
  readonly scheduleLastPeakMemory: Gauge<'namespace' | 'schedule'>;
  readonly scheduleConsecutiveFailures: Gauge<'namespace' | 'schedule'>;
  readonly scheduleMissedRuns: Counter<'namespace' | 'schedule'>;
  readonly scheduleLastRunPartial: Gauge<'namespace' | 'schedule'>;
  readonly scheduleLastSkippedEntries: Gauge<'namespace' | 'schedule'>;
  readonly scheduleRuns: Counter<'namespace' | 'schedule' | 'result'>;
  readonly repositorySize: Gauge<'namespace' | 'repository'>;
  readonly repositorySnapshots: Gauge<'namespace' | 'repository'>;
  readonly repositoryReady: Gauge<'namespace' | 'repository'>;
  readonly maintenanceEnabled: Gauge<'namespace' | 'repository'>;
  readonly maintenanceLastSuccess: Gauge<'namespace' | 'repository'>;
  readonly maintenanceConsecutiveFailures: Gauge<'namespace' | 'repository'>;
  readonly maintenanceRuns: Counter<'namespace' | 'repository' | 'result'>;
  readonly restores: Counter<'namespace' | 'result' | 'reason'>;
  readonly restoreFailed: Gauge<'namespace' | 'restore'>;
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly leader: Gauge;

  constructor(withProcessMetrics = true) {
    const r = this.registers();
    const ns = ['namespace', 'schedule'] as const;
    this.scheduleLastSuccess = new Gauge({ name: 'cairn_schedule_last_success_timestamp_seconds', help: 'End time of the last successful snapshot run', labelNames: ns, registers: r });
    this.scheduleLastDuration = new Gauge({ name: 'cairn_schedule_last_duration_seconds', help: 'Duration of the last snapshot run', labelNames: ns, registers: r });
    this.scheduleLastBytes = new Gauge({ name: 'cairn_schedule_last_snapshot_bytes', help: 'Logical bytes in the last snapshot(s) of the schedule', labelNames: ns, registers: r });
    this.scheduleLastFiles = new Gauge({ name: 'cairn_schedule_last_snapshot_files', help: 'Files in the last snapshot(s) of the schedule', labelNames: ns, registers: r });
    this.scheduleLastPeakMemory = new Gauge({
      name: 'cairn_schedule_last_mover_peak_memory_bytes',
      help: 'Largest peak memory (resident set, worker threads included) of the last completed run\'s movers, to size spec.mover.resources',
      labelNames: ns,
      registers: r,
    });
    this.scheduleConsecutiveFailures = new Gauge({ name: 'cairn_schedule_consecutive_failures', help: 'Failed runs since the last success', labelNames: ns, registers: r });
    this.scheduleMissedRuns = new Counter({ name: 'cairn_schedule_missed_runs_total', help: 'Due times that passed without a run', labelNames: ns, registers: r });
    this.scheduleLastRunPartial = new Gauge({
      name: 'cairn_schedule_last_run_partial',
      help: '1 when the last completed run committed snapshots that miss entries the mover could not read',
      labelNames: ns,
      registers: r,
    });
    this.scheduleLastSkippedEntries = new Gauge({ name: 'cairn_schedule_last_skipped_entries', help: 'Entries the last completed run could not read', labelNames: ns, registers: r });
    this.scheduleRuns = new Counter({ name: 'cairn_schedule_runs_total', help: 'Completed runs by result', labelNames: ['namespace', 'schedule', 'result'], registers: r });
    const rl = ['namespace', 'repository'] as const;
    this.repositorySize = new Gauge({ name: 'cairn_repository_size_bytes', help: 'Repository size from the last maintenance', labelNames: rl, registers: r });
    this.repositorySnapshots = new Gauge({ name: 'cairn_repository_snapshots', help: 'Snapshots in the repository from the last maintenance', labelNames: rl, registers: r });
    this.repositoryReady = new Gauge({ name: 'cairn_repository_ready', help: '1 when the repository is reachable and opens with its password', labelNames: rl, registers: r });
    this.maintenanceEnabled = new Gauge({ name: 'cairn_repository_maintenance_enabled', help: '1 when scheduled maintenance is not suspended', labelNames: rl, registers: r });
    this.maintenanceLastSuccess = new Gauge({
      name: 'cairn_repository_last_maintenance_timestamp_seconds',
      help: 'End time of the last successful maintenance',
      labelNames: rl,
      registers: r,
    });
    this.maintenanceConsecutiveFailures = new Gauge({
      name: 'cairn_repository_maintenance_consecutive_failures',
      help: 'Maintenance runs that failed since the last success',
      labelNames: rl,
      registers: r,
    });
    this.maintenanceRuns = new Counter({ name: 'cairn_repository_maintenance_runs_total', help: 'Finished maintenance runs by result', labelNames: [...rl, 'result'], registers: r });
    this.restores = new Counter({ name: 'cairn_restores_total', help: 'Finished Restores by result (Succeeded, Skipped, Failed) and reason', labelNames: ['namespace', 'result', 'reason'], registers: r });
    this.restoreFailed = new Gauge({ name: 'cairn_restore_failed', help: '1 for each Restore that failed (until it is deleted)', labelNames: ['namespace', 'restore'], registers: r });
    this.reconciles = new Counter({ name: 'cairn_controller_reconcile_total', help: 'Reconciles by controller and result', labelNames: ['controller', 'result'], registers: r });
    this.reconcileErrors = new Counter({ name: 'cairn_controller_reconcile_errors_total', help: 'Reconciles that failed', labelNames: ['controller'], registers: r });
    this.reconcileDuration = new Histogram({
      name: 'cairn_controller_reconcile_duration_seconds',
      help: 'Reconcile duration',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: r,
    });
    this.leader = new Gauge({ name: 'cairn_leader', help: '1 while this instance holds the leader lease', registers: r });
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'cairn_operator_' });
  }

  private registers(): Registry[] {
    return [this.registry];
  }

  observeReconcile(controller: string, outcome: 'success' | 'error', seconds: number): void {
    this.reconciles.inc({ controller, result: outcome });
    if (outcome === 'error') this.reconcileErrors.inc({ controller });
    this.reconcileDuration.observe({ controller }, seconds);
  }

  forgetRepository(namespace: string, repository: string): void {
    for (const m of [
      this.repositorySize, this.repositorySnapshots, this.repositoryReady, this.maintenanceEnabled, this.maintenanceLastSuccess,
      this.maintenanceConsecutiveFailures,
    ]) {
      m.remove({ namespace, repository });
    }
  }

  forgetSchedule(namespace: string, schedule: string): void {
    for (const m of [
      this.scheduleLastSuccess, this.scheduleLastDuration, this.scheduleLastBytes, this.scheduleLastFiles, this.scheduleConsecutiveFailures,
      this.scheduleLastRunPartial, this.scheduleLastSkippedEntries, this.scheduleLastPeakMemory,
    ]) {
      m.remove({ namespace, schedule });
    }
  }
}
