import { describe, expect, it } from 'vitest';
import type { Job, Json } from '../../api/core-types.ts';
import type { Restore } from '../../api/resources.ts';
import { getCondition } from '../../api/conditions.ts';
import { JOBS, PVCS, RESTORES } from '../../runtime/resource-type.ts';
import type { FakeOperator } from '../../testing/fake-operator.ts';
import { NS, fakeOperator, finishJob, jobs, ok, readyStatus, seedRepository, seedRestore } from '../../testing/fake-operator.ts';
import { RestoreController } from './restore-controller.ts';

const status = (op: FakeOperator, name = 'r'): Restore['status'] => op.kube.peek<Restore>(RESTORES, NS, name)!.status;

describe('RestoreController', () => {
  it('creates the target PVC, runs one restore Job and records the result', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRestore(op.kube, 'r');
    const c = new RestoreController(op.ctx);
    await c.reconcile(`${NS}/r`);
    expect(op.kube.peek(PVCS, NS, 'restored')).toBeDefined();
    const [job] = jobs(op.kube, 'restore');
    const args = ((job!.spec!.template.spec['containers'] as Json[])[0]!['args'] as string[]).join(' ');
    expect(args).toContain('snapshot restore');
    expect(status(op)?.phase).toBe('Running');
    finishJob(op, job!.metadata.name!, ok('snapshot restore', { restore: { files: 3, dirs: 1, bytes: 30 } }));
    await c.reconcile(`${NS}/r`);
    expect(status(op)).toMatchObject({ phase: 'Succeeded', result: { files: 3, dirs: 1, bytes: 30 } });
  });

  it('fails with MoverJobLost when its Job vanishes instead of polling forever', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRestore(op.kube, 'r');
    const c = new RestoreController(op.ctx);
    await c.reconcile(`${NS}/r`);
    await op.kube.delete(JOBS, NS, jobs(op.kube, 'restore')[0]!.metadata.name!);
    const r = await c.reconcile(`${NS}/r`);
    expect(r).toBeUndefined();
    expect(status(op)?.phase).toBe('Failed');
    expect(getCondition(status(op)?.conditions, 'Completed')?.reason).toBe('MoverJobLost');
    expect(await c.reconcile(`${NS}/r`)).toBeUndefined();
    expect(op.kube.all<Job>(JOBS, NS)).toHaveLength(0); // never restarted on its own
  });
});
