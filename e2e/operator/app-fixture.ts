// A namespace with what a SnapshotSchedule needs: the repository password Secret, a filesystem
// BackupRepository on a PVC, a data PVC, and a way to bring the repository to Ready by finishing the
// operator's `repository status` Job.
import type { KubeObject } from '../../operator/src/api/meta.ts';
import type { BackupRepository, SnapshotSchedule } from '../../operator/src/api/resources.ts';
import type { Job } from '../../operator/src/api/core-types.ts';
import type { HttpKubeClient } from '../../operator/src/runtime/kube-client.ts';
import { BACKUP_REPOSITORIES, JOBS, PVCS, SECRETS, SNAPSHOT_SCHEDULES } from '../../operator/src/runtime/resource-type.ts';
import type { OperatorCluster } from '../support/kube-operator.ts';
import { finishJob, okResult, waitFor } from '../support/kube-operator.ts';
import { createNamespace } from '../support/kube-fixtures.ts';

export async function createPvc(admin: HttpKubeClient, ns: string, name: string, accessModes = ['ReadWriteOnce']): Promise<void> {
  await admin.create(PVCS, ns, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns, labels: { app: 'demo' } },
    spec: { accessModes, resources: { requests: { storage: '1Gi' } } },
  } as KubeObject);
}

export async function setupApp(oc: OperatorCluster, ns: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Promise<void> {
  createNamespace(oc.cluster, ns, labels, annotations);
  await oc.admin.create(SECRETS, ns, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-password', namespace: ns },
    stringData: { password: 'correct horse battery staple' },
  } as KubeObject);
  await createPvc(oc.admin, ns, 'repo', ['ReadWriteMany']);
  await createPvc(oc.admin, ns, 'data');
  await oc.admin.create<BackupRepository>(BACKUP_REPOSITORIES, ns, {
    apiVersion: 'cairn.dev/v1alpha1',
    kind: 'BackupRepository',
    metadata: { name: 'repo', namespace: ns },
    spec: { storage: { filesystem: { claimName: 'repo' } }, passwordSecretRef: { name: 'repo-password' }, maintenance: { suspend: true } },
  } as unknown as BackupRepository);
}

export async function jobsOf(admin: HttpKubeClient, ns: string, selector: string): Promise<Job[]> {
  return (await admin.list<Job>(JOBS, ns, { labelSelector: selector })).items;
}

/** Finish the operator's repository check Job successfully and wait for Ready. */
export async function makeRepositoryReady(oc: OperatorCluster, ns: string): Promise<void> {
  const check = await waitFor('repository check Job', async () => (await jobsOf(oc.admin, ns, 'cairn.dev/purpose=check'))[0]);
  await finishJob(oc.admin, ns, check.metadata.name!, okResult('repository status', { repository: { uniqueId: 'abc123', snapshotCount: 0, sizeBytes: 0 } }));
  await waitFor('repository Ready', async () => {
    const r = await oc.admin.get<BackupRepository>(BACKUP_REPOSITORIES, ns, 'repo');
    return r.status?.initialized === true && r.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  });
}

export async function createSchedule(admin: HttpKubeClient, ns: string, name: string, spec: Record<string, unknown>): Promise<SnapshotSchedule> {
  return admin.create<SnapshotSchedule>(SNAPSHOT_SCHEDULES, ns, {
    apiVersion: 'cairn.dev/v1alpha1',
    kind: 'SnapshotSchedule',
    metadata: { name, namespace: ns },
    // A long Job history: these tests count the Jobs each run created (history pruning has its own tests).
    spec: { repository: 'repo', sources: { pvcNames: ['data'] }, schedule: '0 * * * *', copyMethod: 'Direct', successfulJobsHistoryLimit: 100, failedJobsHistoryLimit: 100, ...spec },
  } as unknown as SnapshotSchedule);
}

export async function getSchedule(admin: HttpKubeClient, ns: string, name: string): Promise<SnapshotSchedule> {
  return admin.get<SnapshotSchedule>(SNAPSHOT_SCHEDULES, ns, name);
}
