import { describe, expect, it } from 'vitest';
import type { Job, Json, PersistentVolumeClaim, VolumeSnapshot } from '../../api/core-types.ts';
import { encodeResult } from '../../../../mover/src/contract/mover-result.ts';
import type { Snapshot, SnapshotSchedule } from '../../api/resources.ts';
import { getCondition } from '../../api/conditions.ts';
import { KubeApiError } from '../../runtime/kube-client.ts';
import { JOBS, PODS, PVCS, RESTORES, SNAPSHOTS, SNAPSHOT_SCHEDULES, VOLUME_SNAPSHOTS } from '../../runtime/resource-type.ts';
import type { FakeOperator } from '../../test-support/fake-operator.ts';
import { NS, failed, fakeOperator, finishJob, jobs, ok, readyStatus, seedConsumer, seedPvc, seedRepository, seedRestore, seedSchedule, snapshotOk } from '../../test-support/fake-operator.ts';
import { SnapshotScheduleController } from './snapshot-schedule-controller.ts';

const status = (op: FakeOperator, name: string): SnapshotSchedule['status'] => op.kube.peek<SnapshotSchedule>(SNAPSHOT_SCHEDULES, NS, name)!.status;

function setup(spec: Partial<SnapshotSchedule['spec']> = {}): { op: FakeOperator; c: SnapshotScheduleController; run: (token: string) => Promise<Job> } {
  const op = fakeOperator();
  seedRepository(op.kube, {}, readyStatus());
  seedPvc(op.kube, 'data');
  seedSchedule(op.kube, 's', { suspend: true, ...spec });
  const c = new SnapshotScheduleController(op.ctx);
  const run = async (token: string): Promise<Job> => {
    const cur = op.kube.peek<SnapshotSchedule>(SNAPSHOT_SCHEDULES, NS, 's')!;
    op.kube.seed(SNAPSHOT_SCHEDULES, { ...cur, spec: { ...cur.spec, trigger: { manual: token } }, metadata: { ...cur.metadata, generation: (cur.metadata.generation ?? 1) + 1 } });
    await c.reconcile(`${NS}/s`);
    const name = status(op, 's')?.activeRun?.sources?.[0]?.job;
    if (name === undefined) throw new Error('no Job started');
    return op.kube.peek<Job>(JOBS, NS, name)!;
  };
  return { op, c, run };
}

describe('SnapshotScheduleController', () => {
  it('runs one Job per PVC on a manual trigger and records the snapshot', async () => {
    const { op, c, run } = setup();
    const job = await run('one');
    expect(job.metadata.labels).toMatchObject({ 'cairn.dev/schedule': 's', 'cairn.dev/pvc': 'data', 'cairn.dev/purpose': 'snapshot' });
    finishJob(op, job.metadata.name!, snapshotOk());
    await c.reconcile(`${NS}/s`);
    const st = status(op, 's');
    expect(st?.lastRun).toMatchObject({ result: 'Succeeded' });
    expect(st?.lastManualTrigger).toBe('one');
    expect(st?.lastSnapshot).toBeDefined();
    expect(getCondition(st?.conditions, 'LastRunSucceeded')).toMatchObject({ status: 'True' });
    const records = op.kube.all<Snapshot>(SNAPSHOTS, NS);
    expect(records.map((r) => r.metadata.name)).toEqual([st?.lastSnapshot]);
    expect(records[0]?.spec).toMatchObject({ repository: 'repo', schedule: 's', sourcePVC: 'data', snapshotId: 'k0123456789abcdef0123456789abcdef', source: `${NS}@cairn:/pvc/data`, files: 10 });
  });

  it('keeps the cache in a PVC per source across runs when mover.cache.persistent is set (backup and expire Jobs mount it)', async () => {
    const { op, c, run } = setup({ retention: { keepLatest: 2 }, mover: { privileged: false, cache: { capacity: '2Gi', storageClassName: 'fast', persistent: true } } });
    const cacheVolume = (job: Job): Json | undefined => (job.spec!.template.spec as { volumes: { name: string }[] }).volumes.find((v) => v.name === 'cache');
    const first = await run('one');
    const pvc = op.kube.peek<PersistentVolumeClaim>(PVCS, NS, 's-data-cache');
    expect(pvc?.metadata.labels).toMatchObject({ 'app.kubernetes.io/component': 'cache', 'cairn.dev/schedule': 's', 'cairn.dev/pvc': 'data' });
    expect(pvc?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'SnapshotSchedule', name: 's' });
    expect(pvc?.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '2Gi' } } });
    expect(cacheVolume(first)).toEqual({ name: 'cache', persistentVolumeClaim: { claimName: 's-data-cache' } });
    finishJob(op, first.metadata.name!, snapshotOk());
    await c.reconcile(`${NS}/s`);
    const expire = jobs(op.kube, 'expire')[0];
    expect(expire).toBeDefined();
    expect(cacheVolume(expire!)).toEqual({ name: 'cache', persistentVolumeClaim: { claimName: 's-data-cache' } });
    finishJob(op, expire!.metadata.name!, ok('snapshot expire'));
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun?.result).toBe('Succeeded');
    // the next run mounts the same claim (it already exists: no error, no second PVC)
    const second = await run('two');
    expect(cacheVolume(second)).toEqual({ name: 'cache', persistentVolumeClaim: { claimName: 's-data-cache' } });
    expect(op.kube.all<PersistentVolumeClaim>(PVCS, NS).filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'cache')).toHaveLength(1);
  });

  it('gives each pod its own cache (an emptyDir) unless the cache is persistent', async () => {
    const { op, run } = setup();
    const job = await run('one');
    expect((job.spec!.template.spec as { volumes: { name: string }[] }).volumes.find((v) => v.name === 'cache')).toEqual({ name: 'cache', emptyDir: { sizeLimit: '1Gi' } });
    expect(op.kube.all<PersistentVolumeClaim>(PVCS, NS).map((p) => p.metadata.name)).toEqual(['data']);
  });

  it("records each mover's peak memory on its source and exports the run's largest as a gauge", async () => {
    const { op, c, run } = setup();
    const job = await run('one');
    finishJob(op, job.metadata.name!, { ...snapshotOk(), peakMemoryBytes: 300 * 2 ** 20 });
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun?.sources?.[0]?.peakMemoryBytes).toBe(300 * 2 ** 20);
    expect((await op.ctx.metrics.scheduleLastPeakMemory.get()).values).toEqual([expect.objectContaining({ labels: { namespace: NS, schedule: 's' }, value: 300 * 2 ** 20 })]);
  });

  it('fails the run with MoverJobLost when its Job vanishes, and the next run works', async () => {
    const { op, c, run } = setup();
    const job = await run('one');
    await op.kube.delete(JOBS, NS, job.metadata.name!);
    const r = await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun).toMatchObject({ result: 'Failed', reason: 'MoverJobLost' });
    expect(status(op, 's')?.lastRun?.message).toContain(`mover Job ${NS}/${job.metadata.name!} is gone`);
    expect(status(op, 's')?.lastRun?.message).toContain('the next run takes a new snapshot');
    expect(status(op, 's')?.activeRun).toBeUndefined();
    expect(r?.pollAfterMs).toBeUndefined();
    const next = await run('two');
    finishJob(op, next.metadata.name!, snapshotOk());
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun?.result).toBe('Succeeded');
    expect(status(op, 's')?.consecutiveFailures).toBe(0);
  });

  it('notes a retention Job lost before its result was read on the source, keeps the snapshot, and ends the run', async () => {
    const { op, c, run } = setup({ retention: { keepLatest: 2 } });
    finishJob(op, (await run('one')).metadata.name!, snapshotOk());
    await c.reconcile(`${NS}/s`);
    const [expire] = jobs(op.kube, 'expire');
    await op.kube.delete(JOBS, NS, expire!.metadata.name!);
    await c.reconcile(`${NS}/s`);
    const st = status(op, 's')!;
    expect(st.activeRun).toBeUndefined();
    expect(st.lastRun?.sources?.[0]).toMatchObject({ phase: 'Succeeded', reason: 'RetentionFailed' });
    expect(st.lastRun?.sources?.[0]?.message).toContain('MoverJobLost');
    expect(st.lastSnapshot).toBeDefined();
  });

  it('fails the source whose Job the API server rejects as invalid, and cleans up its staging clone', async () => {
    const { op, c } = setup({ copyMethod: 'Clone', suspend: false, trigger: { manual: 'one' } });
    op.kube.failNext('create', JOBS, new KubeApiError(422, 'Invalid', 'Job.batch "x" is invalid: spec.template.spec.containers[0].resources.limits[memory]: Invalid value: "lots"'));
    await c.reconcile(`${NS}/s`);
    const st = status(op, 's')!;
    expect(st.activeRun).toBeUndefined();
    expect(st.lastRun).toMatchObject({ result: 'Failed', reason: 'MoverJobRejected' });
    expect(st.lastRun?.message).toContain('of SnapshotSchedule s and of its BackupRepository');
    expect(op.kube.all(PVCS, NS).map((p) => p.metadata.name)).toEqual(['data']);
  });

  it('notes a retention Job the API server rejects on the source and ends the run with the snapshot kept', async () => {
    const { op, c, run } = setup({ retention: { keepLatest: 2 } });
    const job = await run('one');
    op.kube.failNext('create', JOBS, new KubeApiError(422, 'Invalid', 'Job.batch "x" is invalid: spec.template.spec.tolerations[0].operator: Unsupported value'));
    finishJob(op, job.metadata.name!, snapshotOk());
    await c.reconcile(`${NS}/s`);
    const st = status(op, 's')!;
    expect(st.lastRun).toMatchObject({ result: 'Succeeded' });
    expect(st.lastRun?.sources?.[0]).toMatchObject({ phase: 'Succeeded', reason: 'RetentionFailed' });
    expect(st.lastRun?.sources?.[0]?.message).toContain('MoverJobRejected');
    expect(jobs(op.kube, 'expire')).toEqual([]);
  });

  for (const [what, copyMethod, type, error] of [
    ['the mover Job', 'Direct', JOBS, new KubeApiError(500, 'InternalError', 'etcd is having a bad day')],
    ['the VolumeSnapshot', 'Snapshot', VOLUME_SNAPSHOTS, new KubeApiError(504, 'Timeout', 'the server was unable to return a response in the time allotted')],
    ['the staging clone PVC', 'Clone', PVCS, new KubeApiError(409, 'Conflict', 'Operation cannot be fulfilled')],
  ] as const) {
    it(`retries an API error while creating ${what} instead of failing the run`, async () => {
      const { op, c } = setup({ copyMethod, suspend: false, trigger: { manual: 'one' } });
      op.kube.failNext('create', type, error);
      await expect(c.reconcile(`${NS}/s`)).rejects.toThrow(error.message);
      const st = status(op, 's')!;
      expect(st.lastRun).toBeUndefined();
      expect(st.activeRun?.sources?.[0]).toMatchObject({ pvc: 'data', phase: 'Pending' }); // persisted before anything was created
      expect(getCondition(st.conditions, 'Ready')?.reason).not.toBe('InvalidSchedule');
      await c.reconcile(`${NS}/s`);
      expect(status(op, 's')?.activeRun?.sources?.[0]?.phase).toBe(copyMethod === 'Snapshot' ? 'Staging' : 'Running');
      expect(status(op, 's')?.activeRun?.id).toBe(st.activeRun?.id);
      expect(jobs(op.kube, 'snapshot')).toHaveLength(copyMethod === 'Snapshot' ? 0 : 1);
    });
  }

  it('reports a mover pod deleted mid-run as Interrupted, and the next run works', async () => {
    const { op, c, run } = setup();
    const job = await run('one');
    // Deleting the pod sends SIGTERM: the mover leaves an INTERRUPTED result (exit 130), a FailJob code.
    finishJob(op, job.metadata.name!, failed('snapshot create', 'INTERRUPTED', 130, 'interrupted by a signal'));
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun).toMatchObject({ result: 'Failed', reason: 'Interrupted' });
    expect(getCondition(status(op, 's')?.conditions, 'LastRunSucceeded')).toMatchObject({ status: 'False', reason: 'Interrupted' });
    const next = await run('two');
    finishJob(op, next.metadata.name!, snapshotOk());
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun?.result).toBe('Succeeded');
  });

  it('adopts the running Job after a restart and records its result once', async () => {
    const { op, run } = setup();
    const job = await run('one');
    const fresh = new SnapshotScheduleController(op.ctx); // a new leader: nothing in memory
    await fresh.reconcile(`${NS}/s`);
    expect(jobs(op.kube, 'snapshot')).toHaveLength(1);
    finishJob(op, job.metadata.name!, snapshotOk());
    await fresh.reconcile(`${NS}/s`);
    await fresh.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun?.result).toBe('Succeeded');
    const runs = await op.ctx.metrics.scheduleRuns.get();
    expect(runs.values.filter((v) => v.labels['result'] === 'Succeeded').map((v) => v.value)).toEqual([1]);
  });

  it('shows a mover pod stuck in image pull on Progressing and keeps polling', async () => {
    const { op, c, run } = setup();
    const job = await run('one');
    op.kube.seed(PODS, {
      metadata: { name: `${job.metadata.name!}-x`, namespace: NS, labels: { ...job.spec!.template.metadata?.labels, 'batch.kubernetes.io/job-name': job.metadata.name! } },
      status: { phase: 'Pending', containerStatuses: [{ name: 'mover', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] },
    });
    const r = await c.reconcile(`${NS}/s`);
    expect(getCondition(status(op, 's')?.conditions, 'Progressing')).toMatchObject({ status: 'False', reason: 'ImagePullBackOff' });
    expect(r?.pollAfterMs).toBe(30_000);
  });

  it('names a persistent cache PVC that is not bound when the mover pod is stuck, and stops once it is bound', async () => {
    const { op, c, run } = setup({ mover: { privileged: false, cache: { capacity: '1Gi', persistent: true } } });
    const job = await run('one');
    op.kube.seed(PODS, {
      metadata: { name: `${job.metadata.name!}-x`, namespace: NS, labels: { ...job.spec!.template.metadata?.labels, 'batch.kubernetes.io/job-name': job.metadata.name! } },
      status: { phase: 'Pending', containerStatuses: [{ name: 'mover', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] },
    });
    await c.reconcile(`${NS}/s`);
    const source = (): { reason?: string; message?: string } | undefined => status(op, 's')?.activeRun?.sources?.[0];
    expect(source()?.reason).toBe('ImagePullBackOff');
    expect(source()?.message).toContain(`its cache PVC ${NS}/s-data-cache is Pending`);
    expect(source()?.message).toContain('spec.mover.cache.storageClassName');
    op.kube.setStatus(PVCS, NS, 's-data-cache', { phase: 'Bound' });
    await c.reconcile(`${NS}/s`);
    expect(source()?.message).not.toContain('cache PVC');
  });

  it("runs the mover with the UID/GIDs of the pod that mounts the PVC, unless securityContextFrom is None", async () => {
    const { op, run } = setup();
    seedConsumer(op.kube, 'db-0', 'data', { securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999 } });
    const job = await run('one');
    expect(job.spec!.template.spec['securityContext']).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true });
    expect(job.metadata.annotations?.['cairn.dev/security-context-from']).toBe('pod/db-0');
    expect(job.spec!.template.spec['affinity']).toBeDefined(); // Direct on RWO: pinned to db-0's node

    const other = setup({ mover: { privileged: false, securityContextFrom: 'None' } });
    seedConsumer(other.op.kube, 'db-0', 'data', { securityContext: { runAsUser: 999, fsGroup: 999 } });
    const plain = await other.run('one');
    expect(plain.spec!.template.spec['securityContext']).toMatchObject({ runAsUser: 65532, fsGroup: 65532 });
  });

  it('records a partial run as its own outcome: snapshot kept, no success, no reset of failures, a metric', async () => {
    const { op, c, run } = setup({ suspend: false });
    finishJob(op, (await run('ok')).metadata.name!, snapshotOk());
    await c.reconcile(`${NS}/s`);
    const success = status(op, 's')?.lastSuccessTime;
    finishJob(op, (await run('fail')).metadata.name!, failed('snapshot create', 'UNREACHABLE', 16, 'no route to host'), { jobReason: 'BackoffLimitExceeded' });
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.consecutiveFailures).toBe(1);
    op.clock.advance(3_600_000);
    const partialJob = await run('partial');
    finishJob(op, partialJob.metadata.name!, failed('snapshot create', 'PARTIAL', 3, 'some files could not be read'), { jobReason: 'PodFailurePolicy' });
    // The PARTIAL result carries the committed snapshot.
    const pod = op.kube.all<{ metadata: { name?: string }; status?: { containerStatuses?: { state?: { terminated?: { message?: string } } }[] } }>(PODS, NS).find((p) => p.metadata.name?.startsWith(partialJob.metadata.name!))!;
    const partial = { ...snapshotOk({ id: 'kpartial000000000000000000000000', partial: true, skipped: ['/pgdata', '/secret.key'], skippedCount: 2 }), ok: false, code: 'PARTIAL' as const, exitCode: 3 };
    op.kube.setStatus(PODS, NS, pod.metadata.name!, { phase: 'Failed', containerStatuses: [{ name: 'mover', state: { terminated: { exitCode: 3, message: encodeResult(partial) } } }] });
    await c.reconcile(`${NS}/s`);
    const st = status(op, 's')!;
    expect(st.lastRun).toMatchObject({ result: 'PartiallySucceeded', reason: 'PartialSnapshot' });
    expect(st.lastRun?.message).toContain('/pgdata');
    expect(st.lastRun?.sources?.[0]).toMatchObject({ skipped: 2, snapshotId: 'kpartial000000000000000000000000' });
    expect(st.state).toBe('Partial');
    expect(st.lastSuccessTime).toBe(success);
    expect(st.consecutiveFailures).toBe(1);
    expect(st.lastSnapshot).toContain('kpartial');
    expect(getCondition(st.conditions, 'LastRunSucceeded')).toMatchObject({ status: 'False', reason: 'PartialSnapshot' });
    expect((await op.ctx.metrics.scheduleLastRunPartial.get()).values).toEqual([expect.objectContaining({ value: 1 })]);
    expect((await op.ctx.metrics.scheduleLastSkippedEntries.get()).values).toEqual([expect.objectContaining({ value: 2 })]);
    expect(await op.eventReasons()).toContain('RunPartiallySucceeded');
  });

  it('always excludes /lost+found, besides the schedule\'s own patterns', async () => {
    const { run } = setup({ exclude: ['*.tmp'] });
    const args = ((await run('one')).spec!.template.spec['containers'] as Json[])[0]!['args'] as string[];
    expect(args.join(' ')).toContain('--exclude /lost+found --exclude *.tmp');
  });

  it('keeps a bounded history of finished Jobs once their results are recorded', async () => {
    const { op, c, run } = setup({ retention: { keepLatest: 2 } });
    const names: string[] = [];
    for (const token of ['a', 'b', 'c']) {
      op.clock.advance(60_000);
      const job = await run(token);
      names.push(job.metadata.name!);
      finishJob(op, job.metadata.name!, snapshotOk({ id: `k${token}000000000000000000000000000000` }));
      await c.reconcile(`${NS}/s`);
      const expire = jobs(op.kube, 'expire').find((j) => j.metadata.labels?.['cairn.dev/run'] === job.metadata.labels?.['cairn.dev/run'])!;
      // The snapshot Job is recorded, but its run is still active (retention): it stays.
      expect(jobs(op.kube, 'snapshot').map((j) => j.metadata.name)).toContain(job.metadata.name);
      finishJob(op, expire.metadata.name!, ok('snapshot expire', { deleted: [] }));
      await c.reconcile(`${NS}/s`);
    }
    expect(jobs(op.kube, 'snapshot').map((j) => j.metadata.name)).toEqual([names[2]]);
    expect(jobs(op.kube, 'expire')).toHaveLength(1);
    for (const token of ['f1', 'f2', 'f3', 'f4']) {
      op.clock.advance(60_000);
      finishJob(op, (await run(token)).metadata.name!, failed('snapshot create', 'WRONG_PASSWORD', 10));
      await c.reconcile(`${NS}/s`);
    }
    const left = jobs(op.kube, 'snapshot');
    expect(left.filter((j) => j.status?.conditions?.[0]?.type === 'Failed')).toHaveLength(3);
    expect(left.filter((j) => j.status?.conditions?.[0]?.type === 'Complete').map((j) => j.metadata.name)).toEqual([names[2]]);
    expect(op.kube.all(PODS, NS).length).toBe(jobs(op.kube).length); // pods go with their Jobs
  });

  it('starts nothing while the repository is not Ready (wrong password), and says why', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, {
      initialized: true,
      conditions: [{ type: 'Ready', status: 'False', reason: 'WrongPassword', message: 'the repository password is wrong', lastTransitionTime: '2026-05-01T10:00:00Z' }],
    });
    seedPvc(op.kube, 'data');
    seedSchedule(op.kube, 's', { trigger: { manual: 'now' } });
    await new SnapshotScheduleController(op.ctx).reconcile(`${NS}/s`);
    expect(jobs(op.kube)).toEqual([]);
    expect(getCondition(status(op, 's')?.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'RepositoryNotReady' });
    expect(getCondition(status(op, 's')?.conditions, 'Ready')?.message).toContain('WrongPassword');
  });

  it('refuses block-mode PVCs and ReadWriteOncePod PVCs that a pod mounts (Direct), with reasons', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedPvc(op.kube, 'raw', { volumeMode: 'Block' });
    seedPvc(op.kube, 'solo', { accessModes: ['ReadWriteOncePod'] });
    seedPvc(op.kube, 'free', { accessModes: ['ReadWriteOncePod'] });
    seedConsumer(op.kube, 'solo-user', 'solo');
    seedSchedule(op.kube, 's', { sources: { pvcNames: ['raw', 'solo', 'free'] }, trigger: { manual: 'x' } });
    const c = new SnapshotScheduleController(op.ctx);
    await c.reconcile(`${NS}/s`);
    const sources = status(op, 's')?.activeRun?.sources ?? status(op, 's')?.lastRun?.sources ?? [];
    expect(sources.map((x) => [x.pvc, x.phase, x.reason])).toEqual([
      ['free', 'Running', undefined],
      ['raw', 'Failed', 'BlockVolumeUnsupported'],
      ['solo', 'Failed', 'VolumeInUse'],
    ]);
    expect(sources.find((x) => x.pvc === 'solo')?.message).toContain('copyMethod Snapshot or Clone');
    expect(jobs(op.kube).map((j) => j.metadata.labels?.['cairn.dev/pvc'])).toEqual(['free']);
  });

  it('owns its staging objects, fails a VolumeSnapshot that never becomes ready with StagingTimedOut and deletes it', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedPvc(op.kube, 'data');
    const sched = seedSchedule(op.kube, 's', { copyMethod: 'Snapshot', stagingTimeout: '30m', trigger: { manual: 'x' } });
    const c = new SnapshotScheduleController(op.ctx);
    const r = await c.reconcile(`${NS}/s`);
    const [vs] = op.kube.all<VolumeSnapshot>(VOLUME_SNAPSHOTS, NS);
    expect(vs!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'SnapshotSchedule', uid: sched.metadata.uid })]);
    expect(r?.pollAfterMs).toBe(5_000);
    op.clock.advance(29 * 60_000);
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.activeRun?.sources?.[0]?.phase).toBe('Staging');
    op.clock.advance(60_000);
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun?.sources?.[0]).toMatchObject({ phase: 'Failed', reason: 'StagingTimedOut' });
    expect(status(op, 's')?.lastRun?.sources?.[0]?.message).toContain('not ready to use after 30 min');
    expect(op.kube.all(VOLUME_SNAPSHOTS, NS)).toEqual([]);
    expect(jobs(op.kube)).toEqual([]);
  });

  it('deletes the VolumeSnapshot of a failed snapshot and of a source PVC deleted meanwhile', async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedPvc(op.kube, 'data');
    seedPvc(op.kube, 'gone');
    seedSchedule(op.kube, 's', { copyMethod: 'Snapshot', sources: { pvcNames: ['data', 'gone'] }, trigger: { manual: 'x' } });
    const c = new SnapshotScheduleController(op.ctx);
    await c.reconcile(`${NS}/s`);
    const [a, b] = op.kube.all<VolumeSnapshot>(VOLUME_SNAPSHOTS, NS).sort((x, y) => (x.spec?.source.persistentVolumeClaimName ?? '').localeCompare(y.spec?.source.persistentVolumeClaimName ?? ''));
    op.kube.setStatus<VolumeSnapshot>(VOLUME_SNAPSHOTS, NS, a!.metadata.name!, { readyToUse: false, error: { message: 'snapshot controller: driver refused' } });
    op.kube.setStatus<VolumeSnapshot>(VOLUME_SNAPSHOTS, NS, b!.metadata.name!, { readyToUse: true, restoreSize: '1Gi' });
    await op.kube.delete(PVCS, NS, 'gone');
    await c.reconcile(`${NS}/s`);
    expect(status(op, 's')?.lastRun?.sources?.map((x) => [x.pvc, x.reason])).toEqual([
      ['data', 'VolumeSnapshotFailed'],
      ['gone', 'PVCNotFound'],
    ]);
    expect(op.kube.all(VOLUME_SNAPSHOTS, NS)).toEqual([]);
    expect(op.kube.all(PVCS, NS).map((p) => p.metadata.name)).toEqual(['data']);
  });

  it("does not let selector {} match Cairn's own volumes: staging copies, filesystem repositories, targets of running restores", async () => {
    const op = fakeOperator();
    seedRepository(op.kube, {}, readyStatus());
    seedRepository(op.kube, { storage: { filesystem: { claimName: 'backup-share', path: '/' } } }, readyStatus(), 'nfs');
    for (const name of ['data', 'backup-share', 'restoring', 'restored']) seedPvc(op.kube, name);
    seedPvc(op.kube, 'staged', {}, { 'app.kubernetes.io/managed-by': 'cairn-operator' });
    seedRestore(op.kube, 'busy', { target: { existingPVC: { name: 'restoring' } } });
    const done = seedRestore(op.kube, 'done', { target: { existingPVC: { name: 'restored' } } });
    op.kube.setStatus(RESTORES, NS, done.metadata.name!, { phase: 'Succeeded' });
    seedSchedule(op.kube, 's', { sources: { selector: {} }, trigger: { manual: 'x' } });
    await new SnapshotScheduleController(op.ctx).reconcile(`${NS}/s`);
    expect(status(op, 's')?.activeRun?.sources?.map((x) => x.pvc)).toEqual(['data', 'restored']);
  });

  it('keeps the last run\'s Job when finish times tie (timestamps have whole seconds)', async () => {
    const { op, c, run } = setup();
    const names: string[] = [];
    for (const token of ['z', 'y', 'x', 'w']) {
      const job = await run(token);
      names.push(job.metadata.name!);
      finishJob(op, job.metadata.name!, snapshotOk({ id: `k${token}000000000000000000000000000000` }));
      await c.reconcile(`${NS}/s`);
      expect(jobs(op.kube, 'snapshot').map((j) => j.metadata.name)).toEqual([job.metadata.name]);
    }
  });
});
