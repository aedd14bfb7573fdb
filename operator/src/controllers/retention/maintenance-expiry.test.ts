import { describe, expect, it } from 'vitest';
import type { BackupRepository, Snapshot } from '../../api/resources.ts';
import { BACKUP_REPOSITORIES, SNAPSHOTS } from '../../runtime/resource-type.ts';
import { NS, fakeOperator, seedRepository, seedSchedule } from '../../test-support/fake-operator.ts';
import { MAX_EXPIRE_STEPS, maintenanceExpireSteps } from './maintenance-expiry.ts';

describe('maintenance expire steps', () => {
  it('expires every source with records, oldest newest-snapshot first, and counts what did not fit', () => {
    const op = fakeOperator();
    seedRepository(op.kube);
    seedSchedule(op.kube, 'keep', { retention: { keepLatest: 3 } });
    seedSchedule(op.kube, 'forever', {});
    const n = MAX_EXPIRE_STEPS + 6;
    for (let i = 0; i < n; i++) {
      const end = new Date(Date.UTC(2026, 0, 1) + (n - i) * 3_600_000).toISOString();
      for (const [schedule, source] of [['keep', `${NS}@cairn:/pvc/p${i}`], ['forever', `${NS}@cairn:/pvc/f${i}`]] as const) {
        op.kube.seed<Snapshot>(SNAPSHOTS, {
          apiVersion: 'cairn.dev/v1alpha1',
          kind: 'Snapshot',
          metadata: { name: `${schedule}-${i}`, namespace: NS },
          spec: { repository: 'repo', schedule, sourcePVC: `p${i}`, snapshotId: `k${i}`, source, endTime: end },
        } as Snapshot);
      }
    }
    const repo = op.kube.peek<BackupRepository>(BACKUP_REPOSITORIES, NS, 'repo')!;
    const { steps, deferred } = maintenanceExpireSteps(op.ctx, repo);
    expect(steps).toHaveLength(MAX_EXPIRE_STEPS);
    expect(deferred).toBe(6);
    // p69 has the oldest newest snapshot: first in line. Schedules without retention expire nothing.
    expect(steps[0]!.invocation).toMatchObject({ command: 'snapshot expire', source: `${NS}@cairn:/pvc/p${n - 1}`, retention: { keepLatest: 3 }, apply: true });
    expect(steps.map((s) => (s.invocation as { source: string }).source)).not.toContain(`${NS}@cairn:/pvc/p0`);
    expect(steps.every((s) => !(s.invocation as { source: string }).source.includes('/f'))).toBe(true);
    expect(steps.map((s) => s.name).slice(0, 2)).toEqual(['expire-0', 'expire-1']);
  });
});
