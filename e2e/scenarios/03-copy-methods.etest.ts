// Copy methods Snapshot and Clone through the real snapshot-controller, csi-snapshotter and
// external-provisioner (with Cairn's CSI test driver): the mover backs up a point-in-time copy of the PVC,
// the data matches, and the staging VolumeSnapshot and PVC are gone afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, deleteNamespace, e2e, kubectl, listJson, restrictedNamespace, waitFor } from './support/e2e-cluster.ts';
import { createBucket, manifestOf, repositoryReady, restoreDone, s3Repository, secrets, snapshotRecords, startApp, trigger } from './support/workload.ts';

const NS = 'e2e-csi';

function stagingObjects(): string[] {
  const names = (kind: string): string[] => listJson<{ metadata: { name: string } }>(kind, NS).map((o) => `${kind}/${o.metadata.name}`);
  return [...names('volumesnapshots.snapshot.storage.k8s.io'), ...names('pvc').filter((n) => n !== 'pvc/data' && !n.startsWith('pvc/restored-'))];
}

describe('copy methods Snapshot and Clone', () => {
  let source: string[];
  beforeAll(async () => {
    restrictedNamespace(NS);
    secrets(NS);
    await createBucket('e2e-csi');
    await startApp(NS, 'data', 400, 8);
    s3Repository(NS, 'minio', 'e2e-csi', 'csi');
    await repositoryReady(NS, 'minio');
    source = (await manifestOf(NS, 'data')).filter((l) => !l.startsWith('lost+found '));
  });
  afterAll(() => deleteNamespace(NS));

  it.each(['Snapshot', 'Clone'])('copy method %s backs up a copy of the PVC and cleans its staging objects up', async (method) => {
    const name = method.toLowerCase();
    apply(`apiVersion: cairn.dev/v1alpha1
kind: SnapshotSchedule
metadata: {name: ${name}}
spec:
  repository: minio
  sources: {pvcNames: [data]}
  schedule: "0 0 1 1 *"
  copyMethod: ${method}
`, NS);
    const status = await trigger(NS, name, `${name}-1`);
    expect(JSON.stringify(status?.lastRun)).toMatch(/Succeeded/);
    const [record] = snapshotRecords(NS, name);
    expect(record?.spec.files).toBe(source.filter((l) => l.split(' ')[1] === 'f').length);
    // What was backed up is the PVC's data: restore it and compare.
    apply(`apiVersion: cairn.dev/v1alpha1
kind: Restore
metadata: {name: from-${name}}
spec:
  repository: minio
  source: {snapshotRef: {name: ${record!.metadata.name}}}
  target: {newPVC: {name: restored-${name}, capacity: 1Gi, accessModes: [ReadWriteOnce]}}
  mover: {podSecurityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000}}
`, NS);
    expect((await restoreDone(NS, `from-${name}`)).phase).toBe('Succeeded');
    expect((await manifestOf(NS, `restored-${name}`)).filter((l) => !l.startsWith('lost+found '))).toEqual(source);
    await waitFor('staging VolumeSnapshot and PVC to be deleted', () => stagingObjects().length === 0, 180_000).catch((e: unknown) => {
      // Say what holds them: finalizers, deletion timestamps, and what the operator logged about them.
      const held = kubectl(['-n', NS, 'get', 'pvc,volumesnapshots.snapshot.storage.k8s.io', '-o',
        'custom-columns=NAME:.metadata.name,DELETING:.metadata.deletionTimestamp,FINALIZERS:.metadata.finalizers,OWNERS:.metadata.ownerReferences[*].name'], { allowFail: true }).stdout;
      const log = kubectl(['-n', e2e().operatorNamespace, 'logs', 'deploy/cairn', '--tail=400'], { allowFail: true }).stdout
        .split('\n').filter((l) => l.includes(NS) && /staging|delete|snapshot-data|clone-data|error/i.test(l)).slice(-20).join('\n');
      throw new Error(`${(e as Error).message}\n${held}\n${log}`);
    });
    expect(kubectl(['get', 'volumesnapshotcontents', '-o', 'name']).stdout.trim()).toBe('');
  });
});
