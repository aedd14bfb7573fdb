// A BackupRepository in a directory of a PVC (a fresh volume: root-owned root with lost+found): the mover
// creates the repository, backs up and restores, without privilege.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, deleteNamespace, getJson, pvc, restrictedNamespace } from './support/e2e-cluster.ts';
import { manifestOf, repositoryReady, restoreDone, secrets, snapshotRecords, startApp, trigger } from './support/workload.ts';

const NS = 'e2e-fs';

describe('filesystem repository on a PVC', () => {
  beforeAll(async () => {
    restrictedNamespace(NS);
    secrets(NS);
    await startApp(NS, 'data', 300, 4);
  });
  afterAll(() => deleteNamespace(NS));

  it('creates the repository, backs up and restores', async () => {
    apply(pvc('backups', '2Gi'), NS);
    apply(`apiVersion: cairn.dev/v1alpha1
kind: BackupRepository
metadata: {name: local}
spec:
  storage: {filesystem: {claimName: backups, path: /cairn/apps}}
  passwordSecretRef: {name: repo-password}
`, NS);
    await repositoryReady(NS, 'local');
    apply(`apiVersion: cairn.dev/v1alpha1
kind: SnapshotSchedule
metadata: {name: data}
spec: {repository: local, sources: {pvcNames: [data]}, schedule: "0 0 1 1 *", copyMethod: Direct}
`, NS);
    await trigger(NS, 'data', 'fs-1');
    const [record] = snapshotRecords(NS, 'data');
    expect(record?.spec.partial ?? false, JSON.stringify(getJson('snapshotschedule', 'data', NS))).toBe(false);
    apply(`apiVersion: cairn.dev/v1alpha1
kind: Restore
metadata: {name: back}
spec:
  repository: local
  source: {snapshotRef: {name: ${record!.metadata.name}}}
  target: {newPVC: {name: restored, capacity: 1Gi, accessModes: [ReadWriteOnce]}}
  mover: {podSecurityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000}}
`, NS);
    expect((await restoreDone(NS, 'back')).phase).toBe('Succeeded');
    const strip = (m: string[]): string[] => m.filter((l) => !l.startsWith('lost+found '));
    expect(strip(await manifestOf(NS, 'restored'))).toEqual(strip(await manifestOf(NS, 'data')));
  });
});
