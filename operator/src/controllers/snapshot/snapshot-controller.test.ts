import { describe, expect, it } from 'vitest';
import type { Json } from '../../api/core-types.ts';
import type { Snapshot } from '../../api/resources.ts';
import { JOBS, SNAPSHOTS } from '../../runtime/resource-type.ts';
import { NS, fakeOperator, finishJob, jobs, ok, readyStatus, seedRepository } from '../../testing/fake-operator.ts';
import { SnapshotController } from './snapshot-controller.ts';

function seedRecord(op: ReturnType<typeof fakeOperator>, annotate: boolean): void {
  op.kube.seed<Snapshot>(SNAPSHOTS, {
    apiVersion: 'cairn.dev/v1alpha1',
    kind: 'Snapshot',
    metadata: { name: 'data-k0123', namespace: NS, ...(annotate ? { annotations: { 'cairn.dev/delete-from-repository': 'true' } } : {}) },
    spec: { repository: 'repo', sourcePVC: 'data', snapshotId: 'k0123', source: `${NS}@cairn:/pvc/data` },
  } as Snapshot);
}

describe('SnapshotController', () => {
  it('does nothing for a record without the delete annotation', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRecord(op, false);
    await new SnapshotController(op.ctx).reconcile(`${NS}/data-k0123`);
    expect(jobs(op.kube)).toEqual([]);
  });

  it('deletes the snapshot from the repository, then the record; a lost delete Job is started again', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRecord(op, true);
    const c = new SnapshotController(op.ctx);
    await c.reconcile(`${NS}/data-k0123`);
    const [job] = jobs(op.kube, 'delete');
    expect(((job!.spec!.template.spec['containers'] as Json[])[0]!['args'] as string[]).join(' ')).toMatch(/^snapshot delete .* -- k0123$/);
    await op.kube.delete(JOBS, NS, job!.metadata.name!);
    await c.reconcile(`${NS}/data-k0123`);
    expect(jobs(op.kube, 'delete')).toHaveLength(1);
    finishJob(op, job!.metadata.name!, ok('snapshot delete'));
    await c.reconcile(`${NS}/data-k0123`);
    expect(op.kube.peek(SNAPSHOTS, NS, 'data-k0123')).toBeUndefined();
  });
});
