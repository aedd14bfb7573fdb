// A BackupRepository's gauges, exported from its persisted status after every reconcile, so a new leader
// (or a restarted operator) reports them at once.
import type { BackupRepository, BackupRepositoryStatus } from '../../api/resources.ts';
import { getCondition } from '../../api/conditions.ts';
import type { OperatorContext } from '../../operator-context.ts';

export function exportRepositoryMetrics(ctx: OperatorContext, repo: BackupRepository, st: BackupRepositoryStatus): void {
  const labels = { namespace: repo.metadata.namespace ?? '', repository: repo.metadata.name ?? '' };
  const m = ctx.metrics;
  m.repositoryReady.set(labels, getCondition(st.conditions, 'Ready')?.status === 'True' ? 1 : 0);
  if (st.sizeBytes !== undefined) m.repositorySize.set(labels, st.sizeBytes);
  if (st.snapshotCount !== undefined) m.repositorySnapshots.set(labels, st.snapshotCount);
  m.maintenanceEnabled.set(labels, repo.spec.maintenance.suspend ? 0 : 1);
  if (st.lastMaintenanceTime !== undefined) m.maintenanceLastSuccess.set(labels, Date.parse(st.lastMaintenanceTime) / 1000);
  m.maintenanceConsecutiveFailures.set(labels, st.consecutiveMaintenanceFailures ?? 0);
}
