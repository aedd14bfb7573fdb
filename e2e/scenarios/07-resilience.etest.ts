// Disruptions on a real node: the mover pod deleted mid-run (the run fails with a reason, the next one
// succeeds), and the operator restarted mid-run (the running Job is adopted and its snapshot recorded once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, deleteNamespace, e2e, getJson, kubectl, leaderPod, listJson, restrictedNamespace, waitFor } from './support/e2e-cluster.ts';
import { createBucket, moverJobs, repositoryReady, s3Repository, secrets, snapshotRecords, startApp } from './support/workload.ts';

const NS = 'e2e-resilience';

interface SchedStatus { status?: { lastManualTrigger?: string; activeRun?: { id?: string } | null; lastRun?: { manualToken?: string; result?: string; state?: string; message?: string; sources?: { pvc: string; phase?: string; reason?: string; message?: string }[] } } }

function status(name: string): SchedStatus['status'] {
  return getJson<SchedStatus>('snapshotschedule', name, NS)?.status;
}

async function runningMoverPod(): Promise<string> {
  return waitFor('a running snapshot mover pod', () => {
    const job = moverJobs(NS, 'snapshot')[0];
    if (job === undefined) return undefined;
    const pod = listJson<{ metadata: { name: string }; status?: { phase?: string } }>('pods', NS, `batch.kubernetes.io/job-name=${job.metadata.name}`)
      .find((p) => p.status?.phase === 'Running');
    return pod?.metadata.name;
  }, 300_000, 250);
}

async function finished(name: string, token: string): Promise<NonNullable<SchedStatus['status']>> {
  return waitFor(`run ${token} to finish`, () => {
    const s = status(name);
    return s?.lastRun?.manualToken === token && (s.activeRun === undefined || s.activeRun === null) ? s : undefined;
  }, 900_000, 2000);
}

describe('resilience', () => {
  beforeAll(async () => {
    restrictedNamespace(NS);
    secrets(NS);
    await createBucket('e2e-resilience');
    // A big file keeps the mover busy long enough to interrupt it.
    await startApp(NS, 'data', 500, 600);
    s3Repository(NS, 'minio', 'e2e-resilience', 'r');
    await repositoryReady(NS, 'minio');
    apply(`apiVersion: cairn.dev/v1alpha1
kind: SnapshotSchedule
metadata: {name: data}
spec: {repository: minio, sources: {pvcNames: [data]}, schedule: "0 0 1 1 *", copyMethod: Direct}
`, NS);
  });
  afterAll(() => deleteNamespace(NS));

  it('a mover pod deleted mid-run fails the run with a reason; the next run succeeds', async () => {
    kubectl(['-n', NS, 'patch', 'snapshotschedule', 'data', '--type=merge', '-p', '{"spec":{"trigger":{"manual":"killed"}}}']);
    const pod = await runningMoverPod();
    kubectl(['-n', NS, 'delete', 'pod', pod, '--wait=false']);
    const st = await finished('data', 'killed');
    const text = JSON.stringify(st.lastRun);
    expect(text).not.toMatch(/"result":"Succeeded"/);
    expect(st.lastRun?.sources?.[0]?.reason ?? st.lastRun?.message ?? '').not.toBe('');
    expect(snapshotRecords(NS, 'data')).toHaveLength(0);
    kubectl(['-n', NS, 'patch', 'snapshotschedule', 'data', '--type=merge', '-p', '{"spec":{"trigger":{"manual":"after-kill"}}}']);
    const ok = await finished('data', 'after-kill');
    expect(JSON.stringify(ok.lastRun)).toMatch(/Succeeded/);
    expect(snapshotRecords(NS, 'data')).toHaveLength(1);
  });

  it('an operator restarted mid-run adopts the Job and records its snapshot once', async () => {
    kubectl(['-n', NS, 'patch', 'snapshotschedule', 'data', '--type=merge', '-p', '{"spec":{"trigger":{"manual":"restart"}}}']);
    await runningMoverPod();
    const { name: oldLeader } = leaderPod();
    kubectl(['-n', e2e().operatorNamespace, 'delete', 'pod', '-l', 'app.kubernetes.io/name=cairn', '--wait=false']);
    await waitFor('a new operator pod to lead', () => {
      try {
        return leaderPod().name !== oldLeader;
      } catch {
        return false;
      }
    }, 300_000);
    const st = await finished('data', 'restart');
    expect(JSON.stringify(st.lastRun)).toMatch(/Succeeded/);
    // One record for the run before and exactly one for the run the new leader adopted.
    expect(snapshotRecords(NS, 'data')).toHaveLength(2);
  });
});
