// The main path, on a real node: an app running as UID 1000 with fsGroup 1000 in a namespace that enforces
// Pod Security "restricted" writes thousands of files, a file over 100 MB, private modes and symlinks into a
// PVC; a BackupRepository on MinIO; a SnapshotSchedule triggered by hand makes Snapshot records; a second run
// after a 1% change adds only the changed data; Restores into a new PVC (fresh volume root with a root-owned
// lost+found) and into the existing PVC bring back the same bytes, modes, mtimes and owners; and the real
// kopia CLI on the host restores the same snapshot identically.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResult } from '../../mover/src/contract/mover-result.ts';
import { apply, bucketBytes, deleteNamespace, e2e, getJson, kubectl, restrictedNamespace } from './support/e2e-cluster.ts';
import {
  APP_IDS, PASSWORD, createBucket, manifestOf, mutateApp, repositoryReady, restoreDone, s3Repository, secrets, snapshotRecords, startApp, trigger,
  type SnapshotRecord,
} from './support/workload.ts';

const NS = 'e2e-app';
const BUCKET = 'e2e-app';
const TOOL = fileURLToPath(new URL('./support/tree-tool.mjs', import.meta.url));
const withoutLostFound = (m: readonly string[]): string[] => m.filter((l) => !l.startsWith('lost+found '));

let first: SnapshotRecord;
let second: SnapshotRecord;
let manifestBefore: string[];
let manifestAfter: string[];

/** The job of a schedule's last run (status.lastRun.sources[0].job). */
function lastJob(status: Awaited<ReturnType<typeof trigger>>): string {
  return status?.lastRun?.sources?.[0]?.job ?? '';
}

/** The cache counts of the mover's end-of-run storage line (`storage: …, cache H hits / M misses`) in its pod's log. */
function moverCache(job: string): { hits: number; misses: number } | undefined {
  const logs = kubectl(['-n', NS, 'logs', '-l', `batch.kubernetes.io/job-name=${job}`, '-c', 'mover', '--tail=-1']).stdout;
  expect(logs, 'the mover warned that it could not use its cache').not.toMatch(/running without a cache|cannot be written/);
  const m = /"msg":"storage: [^"]*cache (\d+) hits \/ (\d+) misses/.exec(logs);
  return m === null ? undefined : { hits: Number(m[1]), misses: Number(m[2]) };
}

describe('backup and restore on a real node', () => {
  beforeAll(async () => {
    restrictedNamespace(NS);
    secrets(NS);
    await createBucket(BUCKET);
    await startApp(NS, 'data');
  });
  afterAll(() => deleteNamespace(NS));

  it('a BackupRepository on MinIO becomes Ready', async () => {
    s3Repository(NS, 'minio', BUCKET, 'app');
    await repositoryReady(NS, 'minio');
  });

  it('a manual trigger makes a Snapshot with the files and bytes of the PVC', async () => {
    manifestBefore = await manifestOf(NS, 'data');
    expect(manifestBefore.length).toBeGreaterThan(3000);
    apply(`apiVersion: cairn.dev/v1alpha1
kind: SnapshotSchedule
metadata: {name: data}
spec:
  repository: minio
  sources: {pvcNames: [data]}
  schedule: "0 0 1 1 *"
  copyMethod: Direct
  mover: {cache: {persistent: true, capacity: 256Mi}}
`, NS);
    const bucketBefore = bucketBytes(BUCKET);
    const status = await trigger(NS, 'data', 'first');
    expect(status?.lastRun?.result ?? status?.lastRun?.phase).toMatch(/Succeeded/);
    const records = snapshotRecords(NS, 'data');
    expect(records).toHaveLength(1);
    first = records[0]!;
    expect(first.spec.partial ?? false).toBe(false);
    const files = manifestBefore.filter((l) => l.split(' ')[1] === 'f').length;
    expect(first.spec.files).toBe(files);
    expect(first.spec.bytes).toBeGreaterThan(110 * 1024 * 1024);
    const grew = bucketBytes(BUCKET) - bucketBefore;
    expect(grew).toBeGreaterThan(50 * 1024 * 1024);
    // The mover's own report of its peak memory (termination message of the kept Job's pod): the first
    // backup of this PVC must fit the default memory limit of mover pods (2 GiB) with room to spare.
    const job = lastJob(status);
    // every mover step gets --cache-dir /cache (the pod's cache volume): the run reports the cache in use
    expect(moverCache(job), 'no "cache … hits / … misses" in the mover\'s storage line').toBeDefined();
    const message = kubectl(['-n', NS, 'get', 'pods', '-l', `batch.kubernetes.io/job-name=${job ?? ''}`, '-o',
      'jsonpath={.items[0].status.containerStatuses[0].state.terminated.message}']).stdout;
    const peak = decodeResult(message).peakMemoryBytes ?? 0;
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(1.5 * 1024 * 1024 * 1024);
    // the operator keeps it on the run's source (and exports it as cairn_schedule_last_mover_peak_memory_bytes)
    expect(status?.lastRun?.sources?.[0]?.peakMemoryBytes).toBe(peak);
    process.stderr.write(`[02] first backup: ${first.spec.files} files, ${first.spec.bytes} bytes, uploaded ${first.spec.bytesUploaded}, bucket +${grew}, mover peak RSS ${Math.round(peak / 1048576)} MiB\n`);
  });

  it('after a 1% change a second run uploads only the changed data', async () => {
    mutateApp(NS);
    manifestAfter = await manifestOf(NS, 'data');
    const bucketBefore = bucketBytes(BUCKET);
    const status = await trigger(NS, 'data', 'second');
    // mover.cache.persistent: the second run's pod starts with what the first run's pod cached (its own index
    // blob and metadata pack, written through; the repository's earlier ones, fetched): no index blob or
    // metadata pack is downloaded again, and the previous snapshot's listings are read from the cache
    const cache = moverCache(lastJob(status));
    expect(cache?.misses, 'the second run downloaded metadata the first run had cached').toBe(0);
    expect(cache?.hits ?? 0).toBeGreaterThan(0);
    const claim = getJson<{ metadata: { ownerReferences?: { kind: string; name: string }[] }; status: { phase: string } }>('pvc', 'data-data-cache', NS);
    expect(claim?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'SnapshotSchedule', name: 'data' });
    expect(claim?.status.phase).toBe('Bound');
    const records = snapshotRecords(NS, 'data');
    expect(records).toHaveLength(2);
    second = records.find((r) => r.metadata.name !== first.metadata.name)!;
    const grew = bucketBytes(BUCKET) - bucketBefore;
    process.stderr.write(`[02] second backup: uploaded ${second.spec.bytesUploaded}, bucket +${grew}, cache ${cache?.hits} hits / ${cache?.misses} misses\n`);
    expect(second.spec.bytesUploaded).toBeLessThan((first.spec.bytesUploaded ?? 0) * 0.1);
    expect(grew).toBeLessThan(16 * 1024 * 1024);
    const listed = kubectl(['-n', NS, 'get', 'snapshots.cairn.dev']).stdout;
    expect(listed).toContain(first.metadata.name);
    expect(listed).toContain(second.metadata.name);
  });

  it('a Restore into a new PVC brings back the same bytes, modes, mtimes and owners', async () => {
    apply(`apiVersion: cairn.dev/v1alpha1
kind: Restore
metadata: {name: to-new}
spec:
  repository: minio
  source: {snapshotRef: {name: ${second.metadata.name}}}
  target: {newPVC: {name: restored, capacity: 2Gi, accessModes: [ReadWriteOnce]}}
  mover:
    podSecurityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000}
`, NS);
    const st = await restoreDone(NS, 'to-new');
    expect(st.phase, JSON.stringify(st.conditions)).toBe('Succeeded');
    const restored = await manifestOf(NS, 'restored');
    // The new volume's root holds its own root-owned lost+found (the kubelet's fsGroup re-groups it).
    expect(restored.find((l) => l.startsWith('lost+found '))).toMatch(/^lost\+found d \d+ 0 /);
    expect(withoutLostFound(restored)).toEqual(withoutLostFound(manifestAfter));
  });

  it('a Restore into the existing PVC (overwrite) brings back the first snapshot', async () => {
    apply(`apiVersion: cairn.dev/v1alpha1
kind: Restore
metadata: {name: in-place}
spec:
  repository: minio
  source: {snapshotRef: {name: ${first.metadata.name}}}
  target: {existingPVC: {name: data}}
  overwrite: true
`, NS);
    const st = await restoreDone(NS, 'in-place');
    expect(st.phase, JSON.stringify(st.conditions)).toBe('Succeeded');
    const now = new Set(await manifestOf(NS, 'data'));
    // Everything of the first snapshot is back as it was; files added since stay (restore does not delete).
    const missing = withoutLostFound(manifestBefore).filter((l) => !now.has(l));
    expect(missing).toEqual([]);
  });

  it('the kopia CLI on the host restores the same snapshot identically', () => {
    const info = e2e();
    const dir = mkdtempSync(join(tmpdir(), 'cairn-e2e-kopia-'));
    try {
      const env = { ...process.env, KOPIA_PASSWORD: PASSWORD, KOPIA_CHECK_FOR_UPDATES: 'false', HOME: dir };
      const config = join(dir, 'kopia.config');
      const kopia = (args: string[]): string => execFileSync(info.kopia, [`--config-file=${config}`, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const endpoint = new URL(info.minio.endpoint);
      kopia(['repository', 'connect', 's3', `--bucket=${BUCKET}`, '--prefix=app/', `--endpoint=${endpoint.host}`, '--disable-tls',
        `--access-key=${info.minio.accessKey}`, `--secret-access-key=${info.minio.secretKey}`, `--region=${info.minio.region}`, `--cache-directory=${join(dir, 'cache')}`]);
      const list = kopia(['snapshot', 'list', '--all', '--json']);
      expect(list).toContain(second.spec.snapshotId);
      const target = join(dir, 'restored');
      kopia(['snapshot', 'restore', second.spec.snapshotId, target]);
      const node = process.execPath;
      const out = execFileSync(node, [TOOL, 'manifest', target], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n').filter((l) => l !== '');
      writeFileSync(join(tmpdir(), 'cairn-e2e-kopia-manifest.txt'), out.join('\n'));
      expect(out).toEqual(withoutLostFound(manifestAfter));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the mover pods ran under the restricted profile as the app user', () => {
    const jobs = kubectl(['-n', NS, 'get', 'jobs', '-l', 'cairn.dev/purpose=snapshot', '-o', 'json']).stdout;
    const items = (JSON.parse(jobs) as { items: { spec: { template: { spec: { securityContext?: Record<string, unknown> } } } }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    for (const j of items) expect(j.spec.template.spec.securityContext).toMatchObject({ runAsUser: APP_IDS.runAsUser, runAsNonRoot: true });
    expect(getJson('namespace', NS)).toBeDefined();
  });
});
