import { describe, expect, it } from 'vitest';
import type { Job, Json, PersistentVolumeClaim, Pod } from '../../api/core-types.ts';
import type { Restore } from '../../api/resources.ts';
import { getCondition } from '../../api/conditions.ts';
import { KubeApiError } from '../../runtime/kube-client.ts';
import { JOBS, NAMESPACES, PODS, PVCS, RESTORES } from '../../runtime/resource-type.ts';
import type { FakeOperator } from '../../test-support/fake-operator.ts';
import { NS, failed, fakeOperator, finishJob, jobs, ok, readyStatus, seedConsumer, seedPvc, seedRepository, seedRestore } from '../../test-support/fake-operator.ts';
import { RestoreController } from './restore-controller.ts';

const status = (op: FakeOperator, name = 'r'): Restore['status'] => op.kube.peek<Restore>(RESTORES, NS, name)!.status;

describe('RestoreController', () => {
  it('creates the target PVC, runs one restore Job and records the result', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRestore(op.kube, 'r');
    const c = new RestoreController(op.ctx);
    await c.reconcile(`${NS}/r`);
    expect(op.kube.peek<PersistentVolumeClaim>(PVCS, NS, 'restored')?.metadata.labels).toEqual({ 'cairn.dev/restore': 'r' });
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
    expect((await op.ctx.metrics.restoreFailed.get()).values).toEqual([expect.objectContaining({ labels: { namespace: NS, restore: 'r' }, value: 1 })]);
    expect((await op.ctx.metrics.restores.get()).values).toEqual([expect.objectContaining({ labels: { namespace: NS, result: 'Failed', reason: 'MoverJobLost' }, value: 1 })]);
    await op.kube.delete(RESTORES, NS, 'r');
    await c.reconcile(`${NS}/r`);
    expect((await op.ctx.metrics.restoreFailed.get()).values).toEqual([]);
  });

  it('fails with the reason of the mover result when the restore Job fails', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedPvc(op.kube, 'used');
    seedRestore(op.kube, 'r', { target: { existingPVC: { name: 'used' } } });
    const c = new RestoreController(op.ctx);
    await c.reconcile(`${NS}/r`);
    finishJob(op, jobs(op.kube, 'restore')[0]!.metadata.name!, failed('snapshot restore', 'TARGET_NOT_EMPTY', 18, 'restore target /data is not empty; set overwrite'));
    await c.reconcile(`${NS}/r`);
    expect(status(op)?.phase).toBe('Failed');
    expect(getCondition(status(op)?.conditions, 'Completed')).toMatchObject({ status: 'False', reason: 'TargetNotEmpty', message: 'restore target /data is not empty; set overwrite' });
    expect((await op.ctx.metrics.restores.get()).values).toEqual([expect.objectContaining({ labels: { namespace: NS, result: 'Failed', reason: 'TargetNotEmpty' } })]);
  });

  it('fails with MoverJobLost when its finished Job is collected before the result was read, naming the Job and what to do', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRestore(op.kube, 'r');
    const c = new RestoreController(op.ctx);
    await c.reconcile(`${NS}/r`);
    const name = jobs(op.kube, 'restore')[0]!.metadata.name!;
    finishJob(op, name, ok('snapshot restore', { restore: { files: 3, dirs: 1, bytes: 30 } }));
    await op.kube.delete(JOBS, NS, name); // its TTL ran out while the operator was down
    await c.reconcile(`${NS}/r`);
    const done = getCondition(status(op)?.conditions, 'Completed');
    expect(done).toMatchObject({ status: 'False', reason: 'MoverJobLost' });
    expect(done?.message).toContain(`mover Job ${NS}/${name}`);
    expect(done?.message).toContain('create a new Restore to try again');
  });

  it('retries an API error while creating its Job or target PVC instead of failing the Restore', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRestore(op.kube, 'r');
    const c = new RestoreController(op.ctx);
    op.kube.failNext('create', PVCS, new KubeApiError(504, 'Timeout', 'the server was unable to return a response in the time allotted'));
    await expect(c.reconcile(`${NS}/r`)).rejects.toThrow('time allotted');
    op.kube.failNext('create', JOBS, new KubeApiError(500, 'InternalError', 'etcd is having a bad day'));
    await expect(c.reconcile(`${NS}/r`)).rejects.toThrow('etcd is having a bad day');
    expect(status(op)?.phase).toBeUndefined();
    expect(getCondition(status(op)?.conditions, 'Completed')).toBeUndefined();
    expect(jobs(op.kube)).toEqual([]);
    await c.reconcile(`${NS}/r`);
    expect(status(op)?.phase).toBe('Running');
    expect(jobs(op.kube, 'restore')).toHaveLength(1);
    expect(op.kube.peek(PVCS, NS, 'restored')).toBeDefined();
  });

  it('fails a Restore whose Job the API server rejects as invalid, saying what to fix', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRestore(op.kube, 'r');
    op.kube.failNext('create', JOBS, new KubeApiError(422, 'Invalid', 'Job.batch "x" is invalid: spec.template.spec.containers[0].resources.limits[memory]: Invalid value: "lots"'));
    const c = new RestoreController(op.ctx);
    expect(await c.reconcile(`${NS}/r`)).toBeUndefined();
    expect(status(op)?.phase).toBe('Failed');
    const done = getCondition(status(op)?.conditions, 'Completed');
    expect(done).toMatchObject({ status: 'False', reason: 'MoverJobRejected' });
    expect(done?.message).toContain('of Restore r and of its BackupRepository; then create a new Restore');
    await c.reconcile(`${NS}/r`);
    expect(jobs(op.kube)).toEqual([]);
  });

  it('gives a restore into a new PVC a writable root (fsGroup), and one into a used PVC the ids of its consumer', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRestore(op.kube, 'fresh');
    const c = new RestoreController(op.ctx);
    await c.reconcile(`${NS}/fresh`);
    const sc = (j: Job): Json => j.spec!.template.spec['securityContext'] as Json;
    expect(sc(jobs(op.kube, 'restore')[0]!)).toMatchObject({ runAsUser: 65532, fsGroup: 65532, fsGroupChangePolicy: 'OnRootMismatch' });

    seedPvc(op.kube, 'idle');
    seedRestore(op.kube, 'into-idle', { target: { existingPVC: { name: 'idle' } } });
    await c.reconcile(`${NS}/into-idle`);
    const idle = jobs(op.kube, 'restore').find((j) => j.metadata.labels?.['cairn.dev/pvc'] === 'idle')!;
    expect(sc(idle)).not.toHaveProperty('fsGroup'); // the kubelet must not re-group a volume Cairn did not create

    seedPvc(op.kube, 'used');
    seedConsumer(op.kube, 'web-0', 'used', { securityContext: { runAsUser: 33, runAsGroup: 33, fsGroup: 33 } });
    seedRestore(op.kube, 'into-used', { target: { existingPVC: { name: 'used' } }, overwrite: true });
    await c.reconcile(`${NS}/into-used`);
    const used = jobs(op.kube, 'restore').find((j) => j.metadata.labels?.['cairn.dev/pvc'] === 'used')!;
    expect(sc(used)).toMatchObject({ runAsUser: 33, runAsGroup: 33, fsGroup: 33 });
  });

  it('refuses a privileged restore in a namespace that enforces the restricted profile', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    op.kube.seed(NAMESPACES, { metadata: { name: NS, annotations: { 'cairn.dev/privileged-movers': 'true' }, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
    seedRestore(op.kube, 'r', { mover: { privileged: true } });
    await new RestoreController(op.ctx).reconcile(`${NS}/r`);
    expect(getCondition(status(op)?.conditions, 'Completed')).toMatchObject({ status: 'False', reason: 'PrivilegedMoverNotPermitted' });
    expect(getCondition(status(op)?.conditions, 'Completed')?.message).toContain('restricted');
    expect(jobs(op.kube)).toEqual([]);
  });

  it('pins "latest" to the Restore\'s creation time, so a retried pod restores the same snapshot', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    const r = seedRestore(op.kube, 'r');
    await new RestoreController(op.ctx).reconcile(`${NS}/r`);
    const args = (jobs(op.kube, 'restore')[0]!.spec!.template.spec['containers'] as Json[])[0]!['args'] as string[];
    expect(args.slice(args.indexOf('--as-of'), args.indexOf('--as-of') + 2)).toEqual(['--as-of', r.metadata.creationTimestamp]);
  });

  it('waits for a Ready repository: initialized is not enough after the password check failed', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, {
      initialized: true,
      conditions: [{ type: 'Ready', status: 'False', reason: 'WrongPassword', message: 'the repository password is wrong', lastTransitionTime: '2026-05-01T10:00:00Z' }],
    });
    seedRestore(op.kube, 'r');
    await new RestoreController(op.ctx).reconcile(`${NS}/r`);
    expect(jobs(op.kube)).toEqual([]);
    expect(status(op)?.progress).toBe('WaitingForRepository');
    expect(getCondition(status(op)?.conditions, 'Completed')?.message).toContain('WrongPassword');
  });

  it('refuses a block-mode target and a ReadWriteOncePod target a pod is using', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedPvc(op.kube, 'raw', { volumeMode: 'Block' });
    seedPvc(op.kube, 'solo', { accessModes: ['ReadWriteOncePod'] });
    seedConsumer(op.kube, 'solo-user', 'solo');
    seedRestore(op.kube, 'to-raw', { target: { existingPVC: { name: 'raw' } } });
    seedRestore(op.kube, 'to-solo', { target: { existingPVC: { name: 'solo' } } });
    const c = new RestoreController(op.ctx);
    await c.reconcile(`${NS}/to-raw`);
    await c.reconcile(`${NS}/to-solo`);
    expect(getCondition(status(op, 'to-raw')?.conditions, 'Completed')?.reason).toBe('BlockVolumeUnsupported');
    expect(getCondition(status(op, 'to-solo')?.conditions, 'Completed')?.reason).toBe('VolumeInUse');
    expect(jobs(op.kube)).toEqual([]);
  });

  it("does not take Cairn's own mover pods for the app", async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedPvc(op.kube, 'solo', { accessModes: ['ReadWriteOncePod'] });
    seedConsumer(op.kube, 'old-mover', 'solo', { securityContext: { runAsUser: 65532 } });
    const mover = op.kube.peek<Pod>(PODS, NS, 'old-mover')!;
    op.kube.seed(PODS, { ...mover, metadata: { ...mover.metadata, labels: { 'app.kubernetes.io/managed-by': 'cairn-operator' } } });
    seedRestore(op.kube, 'r', { target: { existingPVC: { name: 'solo' } } });
    await new RestoreController(op.ctx).reconcile(`${NS}/r`);
    expect(jobs(op.kube, 'restore')).toHaveLength(1);
    expect(jobs(op.kube, 'restore')[0]!.metadata.annotations?.['cairn.dev/security-context-from']).toBeUndefined();
  });
});
