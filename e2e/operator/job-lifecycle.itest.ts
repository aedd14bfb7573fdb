// A mover Job's life on a real API server (with OwnerReferencesPermissionEnforcement, as on OpenShift): pods
// the Job controller cannot create show up as FailedCreate on the schedule (core Events read by field
// selector, with the operator's own RBAC), a Job deleted mid-run fails the run with MoverJobLost instead of
// being waited for, finished Jobs are pruned to the history limit once recorded, and staging objects are
// owned by their schedule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, Pod, VolumeSnapshot } from '../../operator/src/api/core-types.ts';
import { encodeResult } from '../../mover/src/contract/mover-result.ts';
import type { KubeObject } from '../../operator/src/api/meta.ts';
import type { Operator } from '../../operator/src/operator.ts';
import { FakeClock } from '../../operator/src/runtime/fake-clock.ts';
import { CORE_EVENTS, JOBS, PODS, VOLUME_SNAPSHOTS } from '../../operator/src/runtime/resource-type.ts';
import type { OperatorCluster } from '../support/kube-operator.ts';
import { createJobPod, failureResult, finishJob, newOperator, snapshotResult, startOperatorCluster, waitFor } from '../support/kube-operator.ts';
import { installVolumeSnapshotCrd } from '../support/kube-fixtures.ts';
import { requireKubeTools } from '../support/kube-tools.ts';
import { createSchedule, getSchedule, jobsOf, makeRepositoryReady, setupApp } from './app-fixture.ts';

const tools = requireKubeTools();
const NS = 'lifecycle';

describe.skipIf(tools === undefined)('mover Job lifecycle', () => {
  let oc: OperatorCluster;
  let op: Operator;
  let clock: FakeClock;

  beforeAll(async () => {
    oc = await startOperatorCluster(tools!);
    await setupApp(oc, NS);
    clock = new FakeClock(Date.now());
    op = newOperator(oc, { identity: 'op-l', clock });
    await op.start();
    await makeRepositoryReady(oc, NS);
  });
  afterAll(async () => {
    await op?.stop();
    await oc?.cluster.stop();
  });

  const trigger = (schedule: string, token: string): void => {
    oc.cluster.kubectl(['patch', 'snapshotschedule', schedule, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { trigger: { manual: token } } })]);
  };
  const activeJob = (schedule: string, token: string): Promise<Job> =>
    waitFor(`Job of ${schedule}/${token}`, async () => {
      const run = (await getSchedule(oc.admin, NS, schedule)).status?.activeRun;
      const name = run?.manualToken === token ? run.sources?.[0]?.job : undefined;
      return name === undefined ? undefined : (await jobsOf(oc.admin, NS, `cairn.dev/schedule=${schedule}`)).find((j) => j.metadata.name === name);
    });
  /** Make the operator look at the schedule now (an annotation change is an event). */
  const poke = (schedule: string): void => {
    oc.cluster.kubectl(['annotate', '--overwrite', 'snapshotschedule', schedule, '-n', NS, `test.cairn.dev/poke=${Date.now()}`]);
  };

  it('shows pods the Job controller cannot create as FailedCreate on the schedule', async () => {
    await createSchedule(oc.admin, NS, 'quota', { schedule: '0 0 1 1 *', suspend: true });
    trigger('quota', 'one');
    const job = await activeJob('quota', 'one');
    await oc.admin.create(CORE_EVENTS, NS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${job.metadata.name!}.quota`, namespace: NS },
      involvedObject: { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace: NS, uid: job.metadata.uid },
      reason: 'FailedCreate',
      message: 'Error creating: pods "x" is forbidden: exceeded quota: compute, requested: limits.cpu=1, used: limits.cpu=4, limited: limits.cpu=4',
      type: 'Warning',
      source: { component: 'job-controller' },
      firstTimestamp: new Date().toISOString(),
      lastTimestamp: new Date().toISOString(),
      count: 1,
    } as KubeObject);
    clock.advance(60_000);
    poke('quota');
    const cond = await waitFor('Progressing=False FailedCreate', async () =>
      (await getSchedule(oc.admin, NS, 'quota')).status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'FailedCreate'),
    );
    expect(cond.status).toBe('False');
    expect(cond.message).toContain('exceeded quota');
    await finishJob(oc.admin, NS, job.metadata.name!, snapshotResult());
    await waitFor('run done', async () => ((await getSchedule(oc.admin, NS, 'quota')).status?.lastManualTrigger === 'one' ? true : undefined));
  });

  it('fails a run whose Job was deleted with MoverJobLost, and runs the next one', async () => {
    trigger('quota', 'two');
    const job = await activeJob('quota', 'two');
    await oc.admin.delete(JOBS, NS, job.metadata.name!);
    const last = await waitFor('run failed', async () => {
      const r = (await getSchedule(oc.admin, NS, 'quota')).status?.lastRun;
      return r?.manualToken === 'two' ? r : undefined;
    });
    expect(last).toMatchObject({ result: 'Failed', reason: 'MoverJobLost' });
    trigger('quota', 'three');
    const next = await activeJob('quota', 'three');
    await finishJob(oc.admin, NS, next.metadata.name!, snapshotResult());
    await waitFor('run three succeeded', async () => ((await getSchedule(oc.admin, NS, 'quota')).status?.lastRun?.result === 'Succeeded' ? true : undefined));
  });

  it('reports a mover pod deleted mid-run as Interrupted even once the pod object is gone', async () => {
    trigger('quota', 'four');
    const job = await activeJob('quota', 'four');
    // SIGTERM: the mover leaves INTERRUPTED (exit 130, a FailJob code) and its pod object goes away, and
    // only then does the Job controller mark the Job Failed (it removes its finalizer from the pod first).
    const pod = await createJobPod(oc.admin, NS, job.metadata.name!);
    const result = failureResult('snapshot create', 'INTERRUPTED', 'interrupted by a signal');
    await oc.admin.replaceStatus<Pod>(PODS, NS, {
      ...pod,
      status: { phase: 'Failed', containerStatuses: [{ name: 'mover', state: { terminated: { exitCode: 130, reason: 'Error', message: encodeResult(result) } } }] },
    });
    await waitFor('the operator saw the pod end', async () => (await getSchedule(oc.admin, NS, 'quota')).status?.activeRun !== undefined || undefined);
    await oc.admin.delete(PODS, NS, pod.metadata.name!);
    await waitFor('pod gone', async () => ((await oc.admin.list<Pod>(PODS, NS)).items.some((p) => p.metadata.name === pod.metadata.name) ? undefined : true));
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const current = await oc.admin.get<Job>(JOBS, NS, job.metadata.name!);
    await oc.admin.replaceStatus<Job>(JOBS, NS, {
      ...current,
      status: {
        startTime: stamp,
        failed: 1,
        conditions: [
          { type: 'FailureTarget', status: 'True', reason: 'PodFailurePolicy', message: 'Container mover for pod x failed with exit code 130 matching FailJob rule at index 1', lastTransitionTime: stamp },
          { type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'Container mover for pod x failed with exit code 130 matching FailJob rule at index 1', lastTransitionTime: stamp },
        ],
      },
    });
    const last = await waitFor('run failed', async () => {
      const r = (await getSchedule(oc.admin, NS, 'quota')).status?.lastRun;
      return r?.manualToken === 'four' ? r : undefined;
    });
    expect(last).toMatchObject({ result: 'Failed', reason: 'Interrupted' });
  });

  it('fails a run whose Job the API server rejects (an unusable spec.mover value) with MoverJobRejected, not a retry loop', async () => {
    for (const [name, mover] of [
      ['bad-quantity', { privileged: false, resources: { limits: { memory: 'lots' } } }],
      ['bad-toleration', { privileged: false, tolerations: [{ key: 'a', operator: 'Sometimes' }] }],
    ] as const) {
      await createSchedule(oc.admin, NS, name, { schedule: '0 0 1 1 *', suspend: true, mover });
      trigger(name, 'one');
      const last = await waitFor(`${name} run failed`, async () => {
        const r = (await getSchedule(oc.admin, NS, name)).status?.lastRun;
        return r?.manualToken === 'one' ? r : undefined;
      });
      expect(last).toMatchObject({ result: 'Failed', reason: 'MoverJobRejected' });
      expect(last.message).toContain(`of SnapshotSchedule ${name} and of its BackupRepository`);
      expect(await jobsOf(oc.admin, NS, `cairn.dev/schedule=${name}`)).toEqual([]);
    }
  });

  it('keeps only the newest finished Jobs once their results are recorded', async () => {
    await createSchedule(oc.admin, NS, 'pruned', { schedule: '0 0 1 1 *', suspend: true, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    const names: string[] = [];
    for (const token of ['a', 'b', 'c']) {
      trigger('pruned', token);
      const job = await activeJob('pruned', token);
      names.push(job.metadata.name!);
      await finishJob(oc.admin, NS, job.metadata.name!, snapshotResult());
      await waitFor(`${token} recorded`, async () => ((await getSchedule(oc.admin, NS, 'pruned')).status?.lastManualTrigger === token ? true : undefined));
    }
    const left = await waitFor('history pruned', async () => {
      const jobs = (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=pruned')).filter((j) => j.metadata.deletionTimestamp === undefined);
      return jobs.length === 1 ? jobs : undefined;
    });
    expect(left.map((j) => j.metadata.name)).toEqual([names[2]]);
  });

  it('owns its staging VolumeSnapshot (accepted with blockOwnerDeletion under the operator RBAC)', async () => {
    installVolumeSnapshotCrd(oc.cluster);
    const s = await createSchedule(oc.admin, NS, 'staged', { schedule: '0 0 1 1 *', suspend: true, copyMethod: 'Snapshot' });
    trigger('staged', 'one');
    const vs = await waitFor('VolumeSnapshot', async () => (await oc.admin.list<VolumeSnapshot>(VOLUME_SNAPSHOTS, NS)).items[0]);
    expect(vs.metadata.ownerReferences).toEqual([
      { apiVersion: 'cairn.dev/v1alpha1', kind: 'SnapshotSchedule', name: 'staged', uid: s.metadata.uid, blockOwnerDeletion: true },
    ]);
  });
});
