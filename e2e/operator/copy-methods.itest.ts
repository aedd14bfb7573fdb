// Copy methods on a real API server: Direct runs the mover on the node of the pod using a ReadWriteOnce
// volume; Snapshot stages a CSI VolumeSnapshot and a PVC from it (and cleans both up); without the
// VolumeSnapshot API the run fails with a clear reason instead of silently falling back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json, PersistentVolumeClaim, Pod, VolumeSnapshot } from '../../operator/src/api/core-types.ts';
import type { KubeObject } from '../../operator/src/api/meta.ts';
import type { Operator } from '../../operator/src/operator.ts';
import { isNotFound } from '../../operator/src/runtime/kube-client.ts';
import { PODS, PVCS, VOLUME_SNAPSHOTS } from '../../operator/src/runtime/resource-type.ts';
import type { OperatorCluster } from '../support/kube-operator.ts';
import { finishJob, newOperator, snapshotResult, startOperatorCluster, waitFor } from '../support/kube-operator.ts';
import { installVolumeSnapshotCrd } from '../support/kube-fixtures.ts';
import { requireKubeTools } from '../support/kube-tools.ts';
import { createPvc, createSchedule, getSchedule, jobsOf, makeRepositoryReady, setupApp } from './app-fixture.ts';

const tools = requireKubeTools();
const NS = 'copies';

describe.skipIf(tools === undefined)('copy methods', () => {
  let oc: OperatorCluster;
  let op: Operator;

  beforeAll(async () => {
    oc = await startOperatorCluster(tools!);
    await setupApp(oc, NS);
    op = newOperator(oc, { identity: 'op-c' });
    await op.start();
    await makeRepositoryReady(oc, NS);
  });
  afterAll(async () => {
    await op?.stop();
    await oc?.cluster.stop();
  });

  it('fails Snapshot runs clearly when the VolumeSnapshot API is missing', async () => {
    await createSchedule(oc.admin, NS, 'csi-missing', { schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'x' }, copyMethod: 'Snapshot' });
    const st = await waitFor('failed run', async () => (await getSchedule(oc.admin, NS, 'csi-missing')).status?.lastRun);
    expect(st).toMatchObject({ result: 'Failed', reason: 'VolumeSnapshotUnsupported' });
    expect(await jobsOf(oc.admin, NS, 'cairn.dev/schedule=csi-missing')).toEqual([]);
  });

  it('runs Direct movers on the node of the pod using a ReadWriteOnce volume', async () => {
    await oc.admin.create<Pod>(PODS, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'db', namespace: NS },
      spec: {
        nodeName: 'node-7',
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
        containers: [{ name: 'db', image: 'postgres' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      },
    } as Pod);
    await createSchedule(oc.admin, NS, 'direct', { schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'x' }, copyMethod: 'Direct' });
    const job = await waitFor('Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=direct'))[0]);
    const spec = job.spec!.template.spec;
    expect(JSON.stringify(spec['affinity'])).toContain('"values":["node-7"]');
    expect(spec['tolerations']).toContainEqual({ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' });
    const vols = spec['volumes'] as Json[];
    expect(vols.find((v) => v['name'] === 'data')).toMatchObject({ persistentVolumeClaim: { claimName: 'data', readOnly: true } });
  });

  it('resolves a label selector to one Job per PVC per run, leaving out the repository volume', async () => {
    await createPvc(oc.admin, NS, 'more');
    await createSchedule(oc.admin, NS, 'by-label', {
      schedule: '0 0 1 1 *',
      suspend: true,
      trigger: { manual: 'x' },
      copyMethod: 'Direct',
      sources: { selector: { matchLabels: { app: 'demo' }, matchExpressions: [{ key: 'app', operator: 'Exists' }] } },
    });
    const jobs = await waitFor('two Jobs', async () => {
      const j = await jobsOf(oc.admin, NS, 'cairn.dev/schedule=by-label');
      return j.length === 2 ? j : undefined;
    });
    // PVC "repo" carries the label too, but it holds the namespace's filesystem repository.
    expect(jobs.map((j) => j.metadata.labels?.['cairn.dev/pvc']).sort()).toEqual(['data', 'more']);
    for (const j of jobs) await finishJob(oc.admin, NS, j.metadata.name!, snapshotResult({ bytes: 1000, files: 10 }));
    const st = await waitFor('run done', async () => (await getSchedule(oc.admin, NS, 'by-label')).status?.lastRun);
    expect(st.result).toBe('Succeeded');
    expect(st.sources?.map((x) => [x.pvc, x.phase])).toEqual([
      ['data', 'Succeeded'],
      ['more', 'Succeeded'],
    ]);
  });

  it('snapshots a CSI clone for copyMethod Clone and deletes the clone afterwards', async () => {
    await createSchedule(oc.admin, NS, 'clone', { schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'x' }, copyMethod: 'Clone', stagingStorageClassName: 'csi-fast' });
    const job = await waitFor('Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=clone'))[0]);
    const claim = ((job.spec!.template.spec['volumes'] as Json[]).find((v) => v['name'] === 'data')!['persistentVolumeClaim'] as Json)['claimName'] as string;
    expect(claim).not.toBe('data');
    const clone = await oc.admin.get<PersistentVolumeClaim>(PVCS, NS, claim);
    expect(clone.spec).toMatchObject({ dataSource: { kind: 'PersistentVolumeClaim', name: 'data' }, storageClassName: 'csi-fast' });
    await finishJob(oc.admin, NS, job.metadata.name!, snapshotResult());
    await waitFor('run done', async () => ((await getSchedule(oc.admin, NS, 'clone')).status?.lastRun?.result === 'Succeeded' ? true : undefined));
    const after = await oc.admin.get<PersistentVolumeClaim>(PVCS, NS, claim).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    expect(after === undefined || after.metadata.deletionTimestamp !== undefined).toBe(true);
  });

  it('stages a VolumeSnapshot and a PVC from it, then cleans both up', async () => {
    installVolumeSnapshotCrd(oc.cluster);
    await createSchedule(oc.admin, NS, 'csi', {
      schedule: '0 0 1 1 *',
      suspend: true,
      trigger: { manual: 'x' },
      copyMethod: 'Snapshot',
      volumeSnapshotClassName: 'fast',
    });
    const vsName = await waitFor('VolumeSnapshot', async () => (await getSchedule(oc.admin, NS, 'csi')).status?.activeRun?.sources?.[0]?.phase === 'Staging' || undefined).then(
      async () => (await oc.admin.list<VolumeSnapshot>(VOLUME_SNAPSHOTS, NS)).items[0]!.metadata.name!,
    );
    const vs = await oc.admin.get<VolumeSnapshot>(VOLUME_SNAPSHOTS, NS, vsName);
    expect(vs.spec).toEqual({ source: { persistentVolumeClaimName: 'data' }, volumeSnapshotClassName: 'fast' });
    expect(await jobsOf(oc.admin, NS, 'cairn.dev/schedule=csi')).toEqual([]); // nothing runs before the snapshot is ready
    await oc.admin.replaceStatus(VOLUME_SNAPSHOTS, NS, { ...vs, status: { readyToUse: true, restoreSize: '3Gi', boundVolumeSnapshotContentName: 'c1' } } as KubeObject);
    const job = await waitFor('Job on the staged PVC', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=csi'))[0], 30_000);
    const staged = await oc.admin.get<PersistentVolumeClaim>(PVCS, NS, vsName);
    expect(staged.spec?.dataSource).toEqual({ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: vsName });
    expect(staged.spec?.resources?.requests?.['storage']).toBe('3Gi');
    const vols = job.spec!.template.spec['volumes'] as Json[];
    expect(vols.find((v) => v['name'] === 'data')).toMatchObject({ persistentVolumeClaim: { claimName: vsName } });
    await finishJob(oc.admin, NS, job.metadata.name!, snapshotResult());
    await waitFor('run done', async () => ((await getSchedule(oc.admin, NS, 'csi')).status?.lastRun?.result === 'Succeeded' ? true : undefined));
    const gone = async (type: typeof PVCS): Promise<boolean> => {
      try {
        const o = await oc.admin.get<KubeObject>(type, NS, vsName);
        return o.metadata.deletionTimestamp !== undefined; // PVC protection finalizers may hold it briefly
      } catch (e) {
        return isNotFound(e);
      }
    };
    expect(await gone(VOLUME_SNAPSHOTS)).toBe(true);
    expect(await gone(PVCS)).toBe(true);
    // Its Job goes too: a kept pod would hold the staging PVC (PVC protection counts finished pods).
    const left = await jobsOf(oc.admin, NS, 'cairn.dev/schedule=csi');
    expect(left.every((j) => j.metadata.deletionTimestamp !== undefined)).toBe(true);
  });
});
