// BackupRepository and Restore flows on a real API server: Secret checks, connect / create / failure
// reasons, scheduled maintenance, retention removing Snapshot records, deleting a snapshot through its
// record, and Restores that succeed, skip or fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition, KubeObject } from '../../operator/src/api/meta.ts';
import type { BackupRepository, Restore, Snapshot } from '../../operator/src/api/resources.ts';
import type { Job, Json, PersistentVolumeClaim } from '../../operator/src/api/core-types.ts';
import type { Operator } from '../../operator/src/operator.ts';
import { FakeClock } from '../../operator/src/runtime/fake-clock.ts';
import { BACKUP_REPOSITORIES, PVCS, RESTORES, SECRETS, SNAPSHOTS } from '../../operator/src/runtime/resource-type.ts';
import type { OperatorCluster } from '../support/kube-operator.ts';
import { failureResult, finishJob, newOperator, okResult, sleepMs, snapshotResult, startOperatorCluster, waitFor } from '../support/kube-operator.ts';
import { createNamespace } from '../support/kube-fixtures.ts';
import { requireKubeTools } from '../support/kube-tools.ts';
import { createSchedule, getSchedule, jobsOf } from './app-fixture.ts';

const tools = requireKubeTools();
const NS = 'repos';

describe.skipIf(tools === undefined)('BackupRepository and Restore', () => {
  let oc: OperatorCluster;
  let op: Operator;
  let clock: FakeClock;

  const repo = (name: string): Promise<BackupRepository> => oc.admin.get<BackupRepository>(BACKUP_REPOSITORIES, NS, name);
  const ready = async (name: string): Promise<Condition | undefined> => (await repo(name)).status?.conditions?.find((c) => c.type === 'Ready');
  const createRepo = (name: string, spec: Json): Promise<BackupRepository> =>
    oc.admin.create<BackupRepository>(BACKUP_REPOSITORIES, NS, { apiVersion: 'cairn.dev/v1alpha1', kind: 'BackupRepository', metadata: { name, namespace: NS }, spec } as unknown as BackupRepository);
  const jobFor = (repoName: string, purpose: string): Promise<Job> =>
    waitFor(`${purpose} Job of ${repoName}`, async () => (await jobsOf(oc.admin, NS, `cairn.dev/repository=${repoName},cairn.dev/purpose=${purpose}`)).at(-1));

  beforeAll(async () => {
    oc = await startOperatorCluster(tools!);
    createNamespace(oc.cluster, NS);
    await oc.admin.create(SECRETS, NS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pw', namespace: NS }, stringData: { password: 'pw' } } as unknown as KubeObject);
    clock = new FakeClock(Date.now());
    op = newOperator(oc, { identity: 'op-r', clock, httpPort: 0 });
    await op.start();
  });
  afterAll(async () => {
    await op?.stop();
    await oc?.cluster.stop();
  });

  it('reports missing Secrets and keys without starting a Job', async () => {
    await createRepo('s3', {
      storage: { s3: { endpoint: 'https://minio.example:9000', bucket: 'backups', credentialsSecretRef: { name: 's3-creds' } } },
      passwordSecretRef: { name: 'pw' },
    });
    expect(await waitFor('SecretNotFound', async () => ((await ready('s3'))?.reason === 'SecretNotFound' ? true : undefined))).toBe(true);
    expect((await ready('s3'))?.message).toContain('s3-creds');
    await oc.admin.create(SECRETS, NS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3-creds', namespace: NS }, stringData: { AWS_ACCESS_KEY_ID: 'a' } } as unknown as KubeObject);
    clock.advance(61_000);
    const c = await waitFor('SecretKeyMissing', async () => {
      const x = await ready('s3');
      return x?.reason === 'SecretKeyMissing' ? x : undefined;
    });
    expect(c.message).toContain('AWS_SECRET_ACCESS_KEY');
    expect(await jobsOf(oc.admin, NS, 'cairn.dev/repository=s3')).toEqual([]);
  });

  it('connects to S3 with credentials mounted as files and reports the mover reason', async () => {
    await oc.admin.patch(SECRETS, NS, 's3-creds', { stringData: { AWS_SECRET_ACCESS_KEY: 'b' } });
    clock.advance(61_000);
    const check = await jobFor('s3', 'check');
    const args = (check.spec!.template.spec['containers'] as Json[])[0]!['args'] as string[];
    expect(args.join(' ')).toContain('--repo s3://backups/?endpoint=https%3A%2F%2Fminio.example%3A9000&region=us-east-1');
    expect(args).toEqual(expect.arrayContaining(['--s3-credentials-dir', '/etc/cairn/s3', 'repository', 'status']));
    await finishJob(oc.admin, NS, check.metadata.name!, failureResult('repository status', 'AUTH_FAILED', 'The AWS Access Key Id you provided does not exist'));
    const c = await waitFor('AuthFailed', async () => {
      const x = await ready('s3');
      return x?.reason === 'AuthFailed' ? x : undefined;
    });
    expect(c.status).toBe('False');
    expect((await repo('s3')).status?.checkAttempts).toBe(1);
    const text = await (await fetch(`http://127.0.0.1:${op.port!}/metrics`)).text();
    expect(text).toContain('cairn_repository_ready{namespace="repos",repository="s3"} 0');
    // Retried after the backoff with a new check Job.
    clock.advance(61_000);
    await waitFor('second check', async () => ((await jobsOf(oc.admin, NS, 'cairn.dev/repository=s3,cairn.dev/purpose=check')).length === 2 ? true : undefined));
  });

  it('creates a missing repository with its creation options, then maintains it on schedule', async () => {
    await createRepo('fs', {
      storage: { filesystem: { claimName: 'fs-pvc', path: '/backups' } },
      passwordSecretRef: { name: 'pw' },
      creation: { compression: 'none' },
      maintenance: { schedule: '30 3 * * *', timeZone: 'UTC' },
    });
    const check = await jobFor('fs', 'check');
    await finishJob(oc.admin, NS, check.metadata.name!, failureResult('repository status', 'REPO_NOT_FOUND', 'no repository at file:///repository/backups'));
    const create = await jobFor('fs', 'create');
    const args = (create.spec!.template.spec['containers'] as Json[])[0]!['args'] as string[];
    expect(args).toEqual(expect.arrayContaining(['--repo', 'file:///repository/backups?shared=group', 'repository', 'create', '--compression', 'none', '--hash', 'HMAC-SHA256-128']));
    await finishJob(oc.admin, NS, create.metadata.name!, okResult('repository create', { repository: { uniqueId: 'f00d' } }));
    const c = await waitFor('Ready', async () => {
      const x = await ready('fs');
      return x?.status === 'True' ? x : undefined;
    });
    expect(c.reason).toBe('Created');
    expect((await repo('fs')).status).toMatchObject({ initialized: true, repositoryId: 'f00d' });

    const next = Date.parse((await waitFor('nextMaintenanceTime', async () => (await repo('fs')).status?.nextMaintenanceTime))!);
    expect(new Date(next).getUTCHours()).toBe(3);
    clock.set(next + 1_000);
    const maint = await jobFor('fs', 'maintenance');
    expect((maint.spec!.template.spec['containers'] as Json[])[0]!['args']).toEqual(expect.arrayContaining(['maintenance', 'run', '--full']));
    await finishJob(oc.admin, NS, maint.metadata.name!, okResult('maintenance run', { repository: { uniqueId: 'f00d', snapshotCount: 42, sizeBytes: 123_456_789 } }));
    await waitFor('maintenance recorded', async () => ((await repo('fs')).status?.lastMaintenanceTime !== undefined ? true : undefined));
    expect((await repo('fs')).status).toMatchObject({ snapshotCount: 42, sizeBytes: 123_456_789 });
    const text = await (await fetch(`http://127.0.0.1:${op.port!}/metrics`)).text();
    expect(text).toContain('cairn_repository_size_bytes{namespace="repos",repository="fs"} 123456789');
    expect(text).toContain('cairn_repository_snapshots{namespace="repos",repository="fs"} 42');
  });

  it('applies retention after a snapshot and removes the Snapshot records it deleted', async () => {
    await setupAppRepoAlias();
    await createSchedule(oc.admin, NS, 'keep2', { repository: 'fs', schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'one' }, retention: { keepLatest: 2 } });
    const old = snapshotResult({ id: 'kold00000000000000000000000000001' });
    const snap1 = await waitFor('snapshot Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=keep2,cairn.dev/purpose=snapshot'))[0]);
    await finishJob(oc.admin, NS, snap1.metadata.name!, old);
    const exp1 = await waitFor('expire Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=keep2,cairn.dev/purpose=expire'))[0]);
    expect((exp1.spec!.template.spec['containers'] as Json[])[0]!['args']).toEqual(expect.arrayContaining(['snapshot', 'expire', '--keep-latest', '2', '--apply']));
    await finishJob(oc.admin, NS, exp1.metadata.name!, okResult('snapshot expire', { deleted: [] }));
    await waitFor('run 1 done', async () => ((await getSchedule(oc.admin, NS, 'keep2')).status?.lastManualTrigger === 'one' ? true : undefined));
    const records = async (): Promise<string[]> => (await oc.admin.list<Snapshot>(SNAPSHOTS, NS)).items.filter((s) => s.spec.schedule === 'keep2').map((s) => s.spec.snapshotId);
    expect(await records()).toEqual([old.snapshot!.id]);

    oc.cluster.kubectl(['patch', 'snapshotschedule', 'keep2', '-n', NS, '--type=merge', '-p', '{"spec":{"trigger":{"manual":"two"}}}']);
    const fresh = snapshotResult({ id: 'knew00000000000000000000000000002' });
    const snap2 = await waitFor('second snapshot Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=keep2,cairn.dev/purpose=snapshot')).find((j) => j.metadata.name !== snap1.metadata.name));
    await finishJob(oc.admin, NS, snap2.metadata.name!, fresh);
    const exp2 = await waitFor('second expire Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=keep2,cairn.dev/purpose=expire')).find((j) => j.metadata.name !== exp1.metadata.name));
    await finishJob(oc.admin, NS, exp2.metadata.name!, okResult('snapshot expire', { deleted: [old.snapshot!.id] }));
    await waitFor('old record removed', async () => {
      const r = await records();
      return r.length === 1 && r[0] === fresh.snapshot!.id ? true : undefined;
    });
  });

  it('applies the retention of every schedule in maintenance, removing the records it deleted', async () => {
    oc.cluster.kubectl(['patch', 'snapshotschedule', 'keep2', '-n', NS, '--type=merge', '-p', '{"spec":{"trigger":{"manual":"three"}}}']);
    const snapJobs = async (): Promise<string[]> => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=keep2,cairn.dev/purpose=snapshot')).map((j) => j.metadata.name!);
    const third = await waitFor('third snapshot Job', async () => ((await snapJobs()).length === 3 ? (await getSchedule(oc.admin, NS, 'keep2')).status?.activeRun?.sources?.[0]?.job : undefined));
    await finishJob(oc.admin, NS, third, snapshotResult({ id: 'kthird000000000000000000000000003' }));
    const exp3 = await waitFor('third expire Job', async () => (await getSchedule(oc.admin, NS, 'keep2')).status?.activeRun?.sources?.[0]?.phase === 'Retention' || undefined).then(
      async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=keep2,cairn.dev/purpose=expire')).at(-1)!,
    );
    await finishJob(oc.admin, NS, exp3.metadata.name!, okResult('snapshot expire', { deleted: [] }));
    await waitFor('run 3 done', async () => ((await getSchedule(oc.admin, NS, 'keep2')).status?.lastManualTrigger === 'three' ? true : undefined));
    const recs = (await oc.admin.list<Snapshot>(SNAPSHOTS, NS)).items.filter((s) => s.spec.schedule === 'keep2');
    expect(recs.map((r) => r.spec.snapshotId).sort()).toEqual(['knew00000000000000000000000000002', 'kthird000000000000000000000000003']);

    const before = (await jobsOf(oc.admin, NS, 'cairn.dev/repository=fs,cairn.dev/purpose=maintenance')).map((j) => j.metadata.name);
    clock.set(Date.parse((await repo('fs')).status!.nextMaintenanceTime!) + 1_000);
    const maint = await waitFor('second maintenance Job', async () =>
      (await jobsOf(oc.admin, NS, 'cairn.dev/repository=fs,cairn.dev/purpose=maintenance')).find((j) => !before.includes(j.metadata.name)),
    );
    const init = maint.spec!.template.spec['initContainers'] as Json[];
    expect(init).toHaveLength(1);
    expect(init[0]!['args']).toEqual(expect.arrayContaining(['snapshot', 'expire', '--source', recs[0]!.spec.source, '--keep-latest', '2', '--apply']));
    expect(init[0]!['securityContext']).toMatchObject({ runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    await finishJob(oc.admin, NS, maint.metadata.name!, okResult('maintenance run', { repository: { snapshotCount: 1, sizeBytes: 1000 } }), undefined, [
      { name: 'expire-0', result: okResult('snapshot expire', { deleted: ['knew00000000000000000000000000002'] }) },
    ]);
    await waitFor('record removed by maintenance', async () => {
      const left = (await oc.admin.list<Snapshot>(SNAPSHOTS, NS)).items.filter((s) => s.spec.schedule === 'keep2').map((r) => r.spec.snapshotId);
      return left.length === 1 && left[0] === 'kthird000000000000000000000000003' ? true : undefined;
    });
    await waitFor('maintenance status', async () => ((await repo('fs')).status?.sizeBytes === 1000 ? true : undefined));
    expect((await repo('fs')).status).toMatchObject({ snapshotCount: 1, sizeBytes: 1000 });
    expect((await repo('fs')).status?.activeJob).toBeUndefined();
  });

  it('deletes a snapshot from the repository when its record is annotated', async () => {
    const rec = (await oc.admin.list<Snapshot>(SNAPSHOTS, NS)).items.find((s) => s.spec.schedule === 'keep2')!;
    oc.cluster.kubectl(['annotate', 'snapshot', rec.metadata.name!, '-n', NS, 'cairn.dev/delete-from-repository=true']);
    const del = await waitFor('delete Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/purpose=delete'))[0]);
    expect((del.spec!.template.spec['containers'] as Json[])[0]!['args']).toEqual(expect.arrayContaining(['snapshot', 'delete', rec.spec.snapshotId]));
    await finishJob(oc.admin, NS, del.metadata.name!, okResult('snapshot delete'));
    await waitFor('record gone', async () => ((await oc.admin.list<Snapshot>(SNAPSHOTS, NS)).items.some((s) => s.metadata.name === rec.metadata.name) ? undefined : true));
  });

  const createRestore = (name: string, spec: Json): Promise<Restore> =>
    oc.admin.create<Restore>(RESTORES, NS, { apiVersion: 'cairn.dev/v1alpha1', kind: 'Restore', metadata: { name, namespace: NS }, spec } as unknown as Restore);
  const restoreStatus = async (name: string): Promise<Restore['status']> => (await oc.admin.get<Restore>(RESTORES, NS, name)).status;

  it('restores into a new PVC and records the result', async () => {
    await createRestore('into-new', {
      repository: 'fs',
      source: { pvc: { name: 'data', asOf: '2026-05-01T12:00:00Z' } },
      target: { newPVC: { name: 'restored', capacity: '2Gi' } },
      paths: ['/uploads'],
    });
    const job = await waitFor('restore Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/purpose=restore'))[0]);
    const args = (job.spec!.template.spec['containers'] as Json[])[0]!['args'] as string[];
    expect(args).toEqual(expect.arrayContaining(['snapshot', 'restore', 'latest', '/data', '--source', `${NS}@cairn:/pvc/data`, '--as-of', '2026-05-01T12:00:00Z', '--path', '/uploads']));
    const pvc = await oc.admin.get<PersistentVolumeClaim>(PVCS, NS, 'restored');
    expect(pvc.spec?.resources?.requests?.['storage']).toBe('2Gi');
    expect((await restoreStatus('into-new'))?.phase).toBe('Running');
    await finishJob(oc.admin, NS, job.metadata.name!, okResult('snapshot restore', { restore: { files: 10, dirs: 2, bytes: 4096 }, snapshot: snapshotResult({ id: 'kabc' }).snapshot }));
    const st = await waitFor('Succeeded', async () => {
      const s = await restoreStatus('into-new');
      return s?.phase === 'Succeeded' ? s : undefined;
    });
    expect(st).toMatchObject({ snapshotId: 'kabc', targetPVC: 'restored', result: { files: 10, dirs: 2, bytes: 4096 } });
  });

  it('finishes as Skipped when nothing matches and onMissingSnapshot is Continue, and fails otherwise', async () => {
    await createRestore('gitops', { repository: 'fs', source: { pvc: { name: 'never-backed-up' } }, target: { newPVC: { name: 'fresh', capacity: '1Gi' } }, onMissingSnapshot: 'Continue' });
    const job = await waitFor('gitops Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/purpose=restore,cairn.dev/pvc=fresh'))[0]);
    await finishJob(oc.admin, NS, job.metadata.name!, failureResult('snapshot restore', 'NOT_FOUND', 'no snapshot of repos@cairn:/pvc/never-backed-up'));
    await waitFor('Skipped', async () => ((await restoreStatus('gitops'))?.phase === 'Skipped' ? true : undefined));

    await createRestore('missing-ref', { repository: 'fs', source: { snapshotRef: { name: 'nope' } }, target: { existingPVC: { name: 'restored' } } });
    const st = await waitFor('Failed', async () => {
      const s = await restoreStatus('missing-ref');
      return s?.phase === 'Failed' ? s : undefined;
    });
    expect(st?.conditions?.find((c) => c.type === 'Completed')?.reason).toBe('SnapshotNotFound');
    await sleepMs(500);
    expect(await jobsOf(oc.admin, NS, 'cairn.dev/purpose=restore,cairn.dev/pvc=restored')).toHaveLength(1);
  });

  async function setupAppRepoAlias(): Promise<void> {
    // The schedule in this file snapshots PVC "data" into repository "fs".
    await oc.admin.create(PVCS, NS, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: NS },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    } as KubeObject);
  }
});

