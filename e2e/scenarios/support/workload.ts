// Building blocks of the scenarios: an app that owns its data (UID 1000, fsGroup 1000) in a restricted
// namespace, a BackupRepository on the host's MinIO or on a PVC, schedules triggered by hand, Snapshot
// records, Restores, and the manifest of a PVC's contents as a pod sees them.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { apply, condition, e2e, getJson, kubectl, listJson, pvc, runTreeTool, TREE_TOOL, restrictedPod, waitFor, type Condition, type PodIds } from './e2e-cluster.ts';

export const APP_IDS: PodIds = { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 };
export const PASSWORD = 'correct horse battery staple e2e';

export interface SnapshotRecord {
  metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec: { snapshotId: string; schedule?: string; sourcePVC?: string; source?: string; bytes?: number; files?: number; bytesUploaded?: number; partial?: boolean; skippedCount?: number };
  status?: { conditions?: Condition[] };
}

export async function createBucket(bucket: string): Promise<void> {
  const m = e2e().minio;
  const s3 = new S3Client({ endpoint: m.endpoint, region: m.region, forcePathStyle: true, credentials: { accessKeyId: m.accessKey, secretAccessKey: m.secretKey } });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
  } finally {
    s3.destroy();
  }
}

export function secrets(ns: string, password = PASSWORD): void {
  const m = e2e().minio;
  apply(kubectl(['-n', ns, 'create', 'secret', 'generic', 'repo-password', `--from-literal=password=${password}`, '--dry-run=client', '-o', 'yaml']).stdout, ns);
  apply(kubectl(['-n', ns, 'create', 'secret', 'generic', 's3-credentials', `--from-literal=AWS_ACCESS_KEY_ID=${m.accessKey}`,
    `--from-literal=AWS_SECRET_ACCESS_KEY=${m.secretKey}`, '--dry-run=client', '-o', 'yaml']).stdout, ns);
}

export function s3Repository(ns: string, name: string, bucket: string, prefix: string, extra = ''): void {
  const m = e2e().minio;
  apply(`apiVersion: cairn.dev/v1alpha1
kind: BackupRepository
metadata: {name: ${name}}
spec:
  storage:
    s3: {endpoint: "${m.endpoint}", bucket: "${bucket}", prefix: "${prefix}", region: "${m.region}", credentialsSecretRef: {name: s3-credentials}}
  passwordSecretRef: {name: repo-password}
${extra}`, ns);
}

export async function repositoryReady(ns: string, name: string, timeoutMs = 300_000): Promise<void> {
  await waitFor(`BackupRepository ${ns}/${name} Ready`, () => {
    const r = getJson<{ status?: { conditions?: Condition[] } }>('backuprepository', name, ns);
    const c = condition(r, 'Ready');
    if (c?.status === 'False' && c.reason !== undefined && !['Checking', 'Creating', 'Pending', 'Progressing'].includes(c.reason)) {
      throw new Error(`Ready=False ${c.reason}: ${c.message ?? ''}`);
    }
    return c?.status === 'True';
  }, timeoutMs);
}

/** Starts the app pod: it writes its data (unless present) as UID 1000 and keeps running. */
export async function startApp(ns: string, claim: string, files = 3000, bigMb = 110, podName = 'app'): Promise<void> {
  apply(pvc(claim, '2Gi'), ns);
  apply(restrictedPod(podName, APP_IDS, {
    command: ['node', '--input-type=module', '-e', TREE_TOOL, '--', 'app', '/data', String(files), String(bigMb)],
    volumes: [{ claim, mountPath: '/data' }],
  }, { restartPolicy: 'Always', labels: { app: podName } }), ns);
  await waitFor(`app pod ${ns}/${podName} to write its data`, () => {
    const r = kubectl(['-n', ns, 'logs', podName], { allowFail: true });
    return r.code === 0 && r.stdout.includes('READY');
  }, 600_000, 2000);
}

export function mutateApp(ns: string, podName = 'app'): string {
  return kubectl(['-n', ns, 'exec', podName, '--', 'node', '--input-type=module', '-e', TREE_TOOL, '--', 'mutate', '/data'], { timeoutMs: 300_000 }).stdout;
}

export async function manifestOf(ns: string, claim: string, ids: PodIds = APP_IDS): Promise<string[]> {
  const out = await runTreeTool(ns, `manifest-${claim}`.slice(0, 60), claim, ids, ['manifest'], true);
  return out.split('\n').filter((l) => l !== '');
}

export function snapshotRecords(ns: string, schedule?: string): SnapshotRecord[] {
  return listJson<SnapshotRecord>('snapshots.cairn.dev', ns).filter((s) => schedule === undefined || s.spec.schedule === schedule)
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
}

interface ScheduleStatus {
  status?: { lastManualTrigger?: string; activeRun?: unknown; lastRun?: { manualToken?: string; phase?: string; result?: string; state?: string; sources?: { job?: string; peakMemoryBytes?: number }[] }; conditions?: Condition[] };
}

/** Sets spec.trigger.manual and waits until that run finished; returns the schedule's status. */
export async function trigger(ns: string, schedule: string, token: string, timeoutMs = 900_000): Promise<ScheduleStatus['status']> {
  kubectl(['-n', ns, 'patch', 'snapshotschedule', schedule, '--type=merge', '-p', JSON.stringify({ spec: { trigger: { manual: token } } })]);
  return waitFor(`run ${token} of SnapshotSchedule ${ns}/${schedule} to finish`, () => {
    const s = getJson<ScheduleStatus>('snapshotschedule', schedule, ns)?.status;
    return s?.lastManualTrigger === token && (s.activeRun === undefined || s.activeRun === null) && s.lastRun?.manualToken === token ? s : undefined;
  }, timeoutMs, 2000);
}

export interface RestoreStatus { phase?: string; snapshotId?: string; conditions?: Condition[]; result?: { files?: number; bytes?: number } }

export async function restoreDone(ns: string, name: string, timeoutMs = 900_000): Promise<RestoreStatus> {
  return waitFor(`Restore ${ns}/${name} to finish`, () => {
    const st = getJson<{ status?: RestoreStatus }>('restore', name, ns)?.status;
    return st?.phase === 'Succeeded' || st?.phase === 'Failed' || st?.phase === 'Skipped' ? st : undefined;
  }, timeoutMs, 2000);
}

/** The mover Jobs of a namespace with a given purpose label, newest first. */
export function moverJobs(ns: string, purpose: string): { metadata: { name: string; creationTimestamp?: string } }[] {
  return listJson<{ metadata: { name: string; creationTimestamp?: string } }>('jobs', ns, `cairn.dev/purpose=${purpose}`)
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
}
