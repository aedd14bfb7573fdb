import { describe, expect, it } from 'vitest';
import type { Json } from '../../api/core-types.ts';
import type { Snapshot } from '../../api/resources.ts';
import { getCondition } from '../../api/conditions.ts';
import { KubeApiError } from '../../runtime/kube-client.ts';
import { JOBS, SNAPSHOTS } from '../../runtime/resource-type.ts';
import { NS, failed, fakeOperator, finishJob, jobs, ok, readyStatus, seedRepository } from '../../test-support/fake-operator.ts';
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

  it('keeps the record with the reason of the mover result when the delete fails, and retries an API error on create', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRecord(op, true);
    const c = new SnapshotController(op.ctx);
    op.kube.failNext('create', JOBS, new KubeApiError(500, 'InternalError', 'etcd is having a bad day'));
    await expect(c.reconcile(`${NS}/data-k0123`)).rejects.toThrow('etcd is having a bad day');
    expect(op.kube.peek<Snapshot>(SNAPSHOTS, NS, 'data-k0123')?.status).toBeUndefined();
    await c.reconcile(`${NS}/data-k0123`);
    finishJob(op, jobs(op.kube, 'delete')[0]!.metadata.name!, failed('snapshot delete', 'APPEND_ONLY', 23, 'storage refuses deletes'));
    await c.reconcile(`${NS}/data-k0123`);
    const rec = op.kube.peek<Snapshot>(SNAPSHOTS, NS, 'data-k0123');
    expect(getCondition(rec?.status?.conditions, 'Deleting')).toMatchObject({ status: 'False', reason: 'DeleteNotPermitted', message: 'storage refuses deletes' });
  });
});
