import { describe, expect, it } from 'vitest';
import type { Json } from '../../api/core-types.ts';
import type { BackupRepository } from '../../api/resources.ts';
import { getCondition } from '../../api/conditions.ts';
import { KubeApiError } from '../../runtime/kube-client.ts';
import { BACKUP_REPOSITORIES, CORE_EVENTS, JOBS, SECRETS } from '../../runtime/resource-type.ts';
import type { FakeOperator } from '../../test-support/fake-operator.ts';
import { NS, T0, failed, fakeOperator, finishJob, jobs, ok, readyStatus, seedRepository } from '../../test-support/fake-operator.ts';
import { BackupRepositoryController } from './backup-repository-controller.ts';

const status = (op: FakeOperator): BackupRepository['status'] => op.kube.peek<BackupRepository>(BACKUP_REPOSITORIES, NS, 'repo')!.status;
const ready = (op: FakeOperator): ReturnType<typeof getCondition> => getCondition(status(op)?.conditions, 'Ready');

describe('BackupRepositoryController', () => {
  it('checks the repository with a Job and becomes Ready when it opens', async () => {
    const op = fakeOperator();
    seedRepository(op.kube);
    const c = new BackupRepositoryController(op.ctx);
    await c.reconcile(`${NS}/repo`);
    const [check] = jobs(op.kube, 'check');
    expect(check).toBeDefined();
    expect(status(op)?.activeJob).toBe(check!.metadata.name);
    expect(ready(op)).toMatchObject({ status: 'Unknown', reason: 'Connecting' });
    finishJob(op, check!.metadata.name!, ok('repository status', { repository: { uniqueId: 'u1', snapshotCount: 3 } }));
    await c.reconcile(`${NS}/repo`);
    expect(ready(op)).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(status(op)).toMatchObject({ initialized: true, repositoryId: 'u1', snapshotCount: 3 });
    await c.reconcile(`${NS}/repo`);
    expect(jobs(op.kube)).toHaveLength(1);
  });

  it('reports a wrong password as WrongPassword and retries only after the backoff, never in a loop', async () => {
    const op = fakeOperator();
    seedRepository(op.kube);
    const c = new BackupRepositoryController(op.ctx);
    await c.reconcile(`${NS}/repo`);
    finishJob(op, jobs(op.kube, 'check')[0]!.metadata.name!, failed('repository status', 'WRONG_PASSWORD', 10, 'the repository password is wrong'));
    const r = await c.reconcile(`${NS}/repo`);
    expect(ready(op)).toMatchObject({ status: 'False', reason: 'WrongPassword', message: 'the repository password is wrong' });
    expect(r?.requeueAt).toBe(op.clock.now() + 60_000);
    for (let i = 0; i < 5; i++) await c.reconcile(`${NS}/repo`);
    expect(jobs(op.kube)).toHaveLength(1);
    op.clock.advance(60_000);
    await c.reconcile(`${NS}/repo`);
    expect(jobs(op.kube, 'check')).toHaveLength(2);
    expect(op.ctx.metrics.repositoryReady.get()).toBeDefined();
  });

  it('fails a check whose Job was deleted with MoverJobLost instead of waiting for it', async () => {
    const op = fakeOperator();
    seedRepository(op.kube);
    const c = new BackupRepositoryController(op.ctx);
    await c.reconcile(`${NS}/repo`);
    await op.kube.delete(JOBS, NS, jobs(op.kube, 'check')[0]!.metadata.name!);
    const r = await c.reconcile(`${NS}/repo`);
    expect(ready(op)).toMatchObject({ status: 'False', reason: 'MoverJobLost' });
    expect(ready(op)?.message).toContain('checked again after the backoff');
    expect(status(op)?.activeJob).toBeUndefined();
    expect(r?.pollAfterMs).toBeUndefined();
  });

  it('retries an API error while starting a check instead of recording a failed check', async () => {
    const op = fakeOperator();
    seedRepository(op.kube);
    const c = new BackupRepositoryController(op.ctx);
    op.kube.failNext('create', JOBS, new KubeApiError(409, 'Conflict', 'Operation cannot be fulfilled: please apply your changes to the latest version'));
    await expect(c.reconcile(`${NS}/repo`)).rejects.toThrow('latest version');
    expect(status(op)?.checkAttempts).toBeUndefined();
    expect(ready(op)).toBeUndefined();
    await c.reconcile(`${NS}/repo`);
    expect(jobs(op.kube, 'check')).toHaveLength(1);
    expect(ready(op)).toMatchObject({ status: 'Unknown', reason: 'Connecting' });
  });

  it('records a check Job the API server rejects as invalid (the user\'s spec.mover) as a failed check with backoff, not a retry loop', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, { mover: { privileged: false, resources: { limits: { memory: 'lots' } } } });
    const c = new BackupRepositoryController(op.ctx);
    op.kube.failNext('create', JOBS, new KubeApiError(422, 'Invalid', 'Job.batch "x" is invalid: spec.template.spec.containers[0].resources.limits[memory]: Invalid value: "lots"'), 2);
    const r = await c.reconcile(`${NS}/repo`);
    expect(ready(op)).toMatchObject({ status: 'False', reason: 'MoverJobRejected' });
    expect(ready(op)?.message).toContain('fix spec.mover (resources, podSecurityContext, tolerations, nodeSelector) of the BackupRepository');
    expect(status(op)).toMatchObject({ checkAttempts: 1, observedGeneration: 1 });
    expect(status(op)?.activeJob).toBeUndefined();
    expect(r?.requeueAt).toBe(op.clock.now() + 60_000);
    await c.reconcile(`${NS}/repo`);
    expect(status(op)?.checkAttempts).toBe(1); // backoff: no new attempt yet
    op.clock.advance(60_000);
    await c.reconcile(`${NS}/repo`);
    expect(status(op)?.checkAttempts).toBe(2);
    await c.reconcile(`${NS}/repo`);
    expect(jobs(op.kube)).toEqual([]);
    op.clock.advance(120_000);
    await c.reconcile(`${NS}/repo`); // the API server accepts it now
    expect(jobs(op.kube, 'check')).toHaveLength(1);
  });

  it('records a maintenance Job the API server rejects as invalid as a failed maintenance until the next due time', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, { maintenance: { schedule: '0 3 * * *', timeZone: 'UTC', full: true, suspend: false } }, readyStatus());
    op.kube.failNext('create', JOBS, new KubeApiError(422, 'Invalid', 'Job.batch "x" is invalid: spec.template.spec.containers[0].resources.limits[memory]: Invalid value: "lots"'));
    const c = new BackupRepositoryController(op.ctx);
    op.clock.set(T0 + 24 * 3_600_000);
    await c.reconcile(`${NS}/repo`);
    expect(getCondition(status(op)?.conditions, 'MaintenanceSucceeded')).toMatchObject({ status: 'False', reason: 'MoverJobRejected' });
    expect(status(op)?.consecutiveMaintenanceFailures).toBe(1);
    await c.reconcile(`${NS}/repo`);
    expect(jobs(op.kube)).toEqual([]);
    expect(status(op)?.consecutiveMaintenanceFailures).toBe(1);
  });

  it('counts a maintenance Job lost before its result was read as a failed maintenance, and waits for the next due time', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, { maintenance: { schedule: '0 3 * * *', timeZone: 'UTC', full: true, suspend: false } }, readyStatus());
    const c = new BackupRepositoryController(op.ctx);
    op.clock.set(T0 + 24 * 3_600_000);
    await c.reconcile(`${NS}/repo`);
    const [maint] = jobs(op.kube, 'maintenance');
    await op.kube.delete(JOBS, NS, maint!.metadata.name!);
    const r = await c.reconcile(`${NS}/repo`);
    const m = getCondition(status(op)?.conditions, 'MaintenanceSucceeded');
    expect(m).toMatchObject({ status: 'False', reason: 'MoverJobLost' });
    expect(m?.message).toContain(maint!.metadata.name);
    expect(status(op)?.consecutiveMaintenanceFailures).toBe(1);
    expect(status(op)?.activeJob).toBeUndefined();
    expect(r?.pollAfterMs).toBeUndefined();
    expect(jobs(op.kube)).toEqual([]); // not restarted before its next due time
    expect(ready(op)).toMatchObject({ status: 'True' });
  });

  it('retries an API error while starting maintenance instead of recording InvalidSchedule', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, { maintenance: { schedule: '0 3 * * *', timeZone: 'UTC', full: true, suspend: false } }, readyStatus());
    op.kube.failNext('create', JOBS, new KubeApiError(500, 'InternalError', 'etcd is having a bad day'));
    const c = new BackupRepositoryController(op.ctx);
    op.clock.set(T0 + 24 * 3_600_000);
    await expect(c.reconcile(`${NS}/repo`)).rejects.toThrow('etcd is having a bad day');
    expect(getCondition(status(op)?.conditions, 'MaintenanceSucceeded')).toBeUndefined();
    await c.reconcile(`${NS}/repo`);
    expect(jobs(op.kube, 'maintenance')).toHaveLength(1);
  });

  it('records a bad maintenance time zone as InvalidSchedule', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, { maintenance: { schedule: '0 3 * * *', timeZone: 'Mars/Olympus', full: true, suspend: false } }, readyStatus());
    await new BackupRepositoryController(op.ctx).reconcile(`${NS}/repo`);
    expect(getCondition(status(op)?.conditions, 'MaintenanceSucceeded')).toMatchObject({ status: 'False', reason: 'InvalidSchedule' });
  });

  it('names a maintenance Job killed for memory OOMKilled', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, { maintenance: { schedule: '0 3 * * *', timeZone: 'UTC', full: true, suspend: false } }, readyStatus());
    const c = new BackupRepositoryController(op.ctx);
    op.clock.set(T0 + 24 * 3_600_000);
    await c.reconcile(`${NS}/repo`);
    finishJob(op, jobs(op.kube, 'maintenance')[0]!.metadata.name!, undefined, { oomKilled: true, jobReason: 'BackoffLimitExceeded' });
    await c.reconcile(`${NS}/repo`);
    const m = getCondition(status(op)?.conditions, 'MaintenanceSucceeded');
    expect(m).toMatchObject({ status: 'False', reason: 'OOMKilled' });
    expect(m?.message).toContain('limit 2Gi');
    expect(status(op)?.consecutiveMaintenanceFailures).toBe(1);
    const metric = async (g: { get(): Promise<{ values: { value: number }[] }> }): Promise<number[]> => (await g.get()).values.map((v) => v.value);
    expect(await metric(op.ctx.metrics.maintenanceConsecutiveFailures)).toEqual([1]);
    expect(await metric(op.ctx.metrics.maintenanceEnabled)).toEqual([1]);
    // The next maintenance succeeds: failures reset, last success exported.
    op.clock.set(T0 + 48 * 3_600_000);
    await c.reconcile(`${NS}/repo`);
    const next = jobs(op.kube, 'maintenance').find((j) => j.status?.conditions === undefined)!;
    finishJob(op, next.metadata.name!, ok('maintenance run', { repository: { snapshotCount: 5, sizeBytes: 10 } }));
    await c.reconcile(`${NS}/repo`);
    expect(status(op)?.consecutiveMaintenanceFailures).toBe(0);
    expect(await metric(op.ctx.metrics.maintenanceConsecutiveFailures)).toEqual([0]);
    expect(await metric(op.ctx.metrics.maintenanceLastSuccess)).toEqual([(T0 + 48 * 3_600_000) / 1000]);
  });

  it('surfaces pods the Job controller cannot create (FailedCreate events)', async () => {
    const op = fakeOperator();
    seedRepository(op.kube);
    const c = new BackupRepositoryController(op.ctx);
    await c.reconcile(`${NS}/repo`);
    const check = jobs(op.kube, 'check')[0]!;
    op.kube.seed(CORE_EVENTS, {
      metadata: { name: 'ev1', namespace: NS },
      involvedObject: { kind: 'Job', name: check.metadata.name, uid: check.metadata.uid },
      reason: 'FailedCreate',
      message: 'pods "x" is forbidden: exceeded quota: compute, requested: limits.cpu=1',
    } as never);
    await c.reconcile(`${NS}/repo`);
    expect(getCondition(status(op)?.conditions, 'Progressing')?.reason).toBe('Check'); // too early: the Job controller may still be working
    op.clock.advance(20_000);
    const r = await c.reconcile(`${NS}/repo`);
    expect(getCondition(status(op)?.conditions, 'Progressing')).toMatchObject({ status: 'False', reason: 'FailedCreate' });
    expect(getCondition(status(op)?.conditions, 'Progressing')?.message).toContain('exceeded quota');
    expect(r?.pollAfterMs).toBe(30_000);
  });

  it('makes a fresh filesystem-repository volume writable for its movers (fsGroup), all with one identity', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, { storage: { filesystem: { claimName: 'backup-share', path: '/cairn' } } });
    await new BackupRepositoryController(op.ctx).reconcile(`${NS}/repo`);
    const pod = jobs(op.kube, 'check')[0]!.spec!.template.spec;
    expect(pod['securityContext']).toMatchObject({ runAsUser: 65532, fsGroup: 65532, fsGroupChangePolicy: 'OnRootMismatch' });
    const env = ((pod['containers'] as Json[])[0]!['env'] as Json[]).filter((e) => String(e['name']).startsWith('CAIRN_'));
    expect(env).toEqual([{ name: 'CAIRN_USER', value: 'cairn' }, { name: 'CAIRN_HOSTNAME', value: `repo.${NS}` }]);
  });

  it('checks again as soon as a failing repository\'s Secret changes (a fixed password), not only after its backoff', async () => {
    const op = fakeOperator();
    seedRepository(op.kube);
    const c = new BackupRepositoryController(op.ctx);
    for (let i = 0; i < 3; i++) {
      if (i > 0) op.clock.advance(60_000 * 2 ** (i - 1)); // the backoff after attempt i
      await c.reconcile(`${NS}/repo`);
      const check = jobs(op.kube, 'check').find((j) => j.status === undefined)!;
      finishJob(op, check.metadata.name!, failed('repository status', 'WRONG_PASSWORD', 10, 'the repository password is wrong'));
      await c.reconcile(`${NS}/repo`);
    }
    expect(status(op)?.checkAttempts).toBe(3);
    const r = await c.reconcile(`${NS}/repo`);
    expect(r?.requeueAt).toBe(op.clock.now() + 60_000); // backoff is 4 min, but the Secrets are looked at every minute
    expect(jobs(op.kube, 'check')).toHaveLength(3);
    await op.kube.patch(SECRETS, NS, 'pw', { data: { password: 'Zml4ZWQ=' } });
    await c.reconcile(`${NS}/repo`);
    expect(jobs(op.kube, 'check')).toHaveLength(4);
    expect(status(op)?.checkAttempts).toBe(0);
  });

  it('checks a spec changed while a check ran instead of taking the old check\'s verdict', async () => {
    const op = fakeOperator();
    seedRepository(op.kube);
    const c = new BackupRepositoryController(op.ctx);
    await c.reconcile(`${NS}/repo`);
    const [first] = jobs(op.kube, 'check');
    await op.kube.patch(BACKUP_REPOSITORIES, NS, 'repo', { metadata: { generation: 2 }, spec: { initialize: 'Never' } });
    finishJob(op, first!.metadata.name!, ok('repository status', { repository: { uniqueId: 'u1' } }));
    await c.reconcile(`${NS}/repo`);
    const checks = jobs(op.kube, 'check');
    expect(checks).toHaveLength(2);
    expect(status(op)?.observedGeneration).toBe(1);
    expect(status(op)?.activeJob).toBe(checks.find((j) => j.metadata.name !== first!.metadata.name)!.metadata.name);
    expect(status(op)?.activeJobGeneration).toBe(2);
  });

  it('retries a failed repository create with a new Job, not the failed one', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, { storage: { filesystem: { claimName: 'share', path: '/' } } });
    const c = new BackupRepositoryController(op.ctx);
    await c.reconcile(`${NS}/repo`);
    finishJob(op, jobs(op.kube, 'check')[0]!.metadata.name!, failed('repository status', 'REPO_NOT_FOUND', 11));
    await c.reconcile(`${NS}/repo`);
    const [create] = jobs(op.kube, 'create');
    finishJob(op, create!.metadata.name!, failed('repository create', 'STORAGE_PERMISSION', 13, 'permission denied: /repository'));
    await c.reconcile(`${NS}/repo`);
    expect(ready(op)).toMatchObject({ status: 'False', reason: 'StoragePermissionDenied' });
    op.clock.advance(60_000);
    await c.reconcile(`${NS}/repo`); // a new check
    finishJob(op, jobs(op.kube, 'check').find((j) => j.status === undefined)!.metadata.name!, failed('repository status', 'REPO_NOT_FOUND', 11));
    await c.reconcile(`${NS}/repo`);
    const creates = jobs(op.kube, 'create');
    expect(creates).toHaveLength(2);
    finishJob(op, creates.find((j) => j.status === undefined)!.metadata.name!, ok('repository create', { repository: { uniqueId: 'u9' } }));
    await c.reconcile(`${NS}/repo`);
    expect(ready(op)).toMatchObject({ status: 'True', reason: 'Created' });
  });
});
