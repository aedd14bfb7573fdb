// Test support only (never imported by the operator): an OperatorContext over FakeKube and a FakeClock, the
// Cairn resources as the API server stores them (schema defaults filled in), and the kubelet's and Job
// controller's part for mover Jobs (pods, termination messages, Job conditions).
import { pino } from 'pino';
import type { Job, Json, PersistentVolumeClaim, Pod, Secret } from '../api/core-types.ts';
import type { BackupRepository, Restore, SnapshotSchedule } from '../api/resources.ts';
import { OperatorMetrics } from '../metrics.ts';
import type { OperatorConfig, OperatorContext } from '../operator-context.ts';
import { DEFAULT_CONFIG } from '../operator-context.ts';
import { toRfc3339 } from '../runtime/clock.ts';
import { EventRecorder } from '../runtime/event-recorder.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { BACKUP_REPOSITORIES, EVENTS, JOBS, PODS, PVCS, RESTORES, SECRETS, SNAPSHOT_SCHEDULES } from '../runtime/resource-type.ts';
import { StatusWriter } from '../runtime/status-writer.ts';
import type { MoverResult } from '../../../mover/src/contract/mover-result.ts';
import { encodeResult } from '../../../mover/src/contract/mover-result.ts';
import { FakeKube } from './fake-kube.ts';

export const T0 = Date.parse('2026-05-01T10:00:00Z');

export interface FakeOperator {
  readonly ctx: OperatorContext;
  readonly kube: FakeKube;
  readonly clock: FakeClock;
  /** Reasons of the Events recorded so far (they are written asynchronously; see flush()). */
  eventReasons(): Promise<string[]>;
}

export function fakeOperator(config: Partial<OperatorConfig> = {}, start = T0): FakeOperator {
  const clock = new FakeClock(start);
  const kube = new FakeKube(clock);
  const log = pino({ level: 'silent' });
  const ctx: OperatorContext = {
    client: kube,
    clock,
    log,
    events: new EventRecorder(kube, clock, log, 'test'),
    status: new StatusWriter(kube, clock),
    metrics: new OperatorMetrics(false),
    config: { ...DEFAULT_CONFIG, moverImage: 'cairn:test', ...config },
    caches: kube.caches(),
  };
  return {
    ctx,
    kube,
    clock,
    eventReasons: async () => {
      await new Promise((r) => setImmediate(r));
      return kube.all<{ metadata: { name?: string }; reason?: string }>(EVENTS).map((e) => e.reason ?? '');
    },
  };
}

export const NS = 'app';

export function seedRepository(kube: FakeKube, spec: Partial<BackupRepository['spec']> = {}, status?: BackupRepository['status'], name = 'repo'): BackupRepository {
  const repo: BackupRepository = {
    apiVersion: 'cairn.dev/v1alpha1',
    kind: 'BackupRepository',
    metadata: { name, namespace: NS },
    spec: {
      storage: { s3: { endpoint: 'https://minio:9000', bucket: 'backups', prefix: 'app', region: 'us-east-1', credentialsSecretRef: { name: 's3' } } },
      passwordSecretRef: { name: 'pw', key: 'password' },
      initialize: 'IfMissing',
      creation: { hash: 'HMAC-SHA256-128', encryption: 'AES256-GCM-HMAC-SHA256', compression: 'zstd' },
      maintenance: { schedule: 'H H * * *', timeZone: 'UTC', full: true, suspend: true },
      ...spec,
    },
    ...(status !== undefined ? { status } : {}),
  };
  kube.seed<Secret>(SECRETS, { metadata: { name: 'pw', namespace: NS }, data: { password: 'cHc=' } });
  kube.seed<Secret>(SECRETS, { metadata: { name: 's3', namespace: NS }, data: { AWS_ACCESS_KEY_ID: 'YQ==', AWS_SECRET_ACCESS_KEY: 'Yg==' } });
  return kube.seed(BACKUP_REPOSITORIES, repo);
}

/** A repository that connected: initialized and Ready=True. */
export function readyStatus(stamp = toRfc3339(T0)): BackupRepository['status'] {
  return {
    initialized: true,
    checkAttempts: 0,
    observedGeneration: 1,
    conditions: [{ type: 'Ready', status: 'True', reason: 'Connected', message: 'ok', lastTransitionTime: stamp, observedGeneration: 1 }],
  };
}

export function seedSchedule(kube: FakeKube, name: string, spec: Partial<SnapshotSchedule['spec']> = {}): SnapshotSchedule {
  return kube.seed(SNAPSHOT_SCHEDULES, {
    apiVersion: 'cairn.dev/v1alpha1',
    kind: 'SnapshotSchedule',
    metadata: { name, namespace: NS },
    spec: {
      repository: 'repo',
      sources: { pvcNames: ['data'] },
      schedule: '0 0 1 1 *',
      timeZone: 'UTC',
      suspend: false,
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      copyMethod: 'Direct',
      stagingTimeout: '2h',
      sourcePathPrefix: '/pvc',
      ...spec,
    },
  } as SnapshotSchedule);
}

export function seedRestore(kube: FakeKube, name: string, spec: Partial<Restore['spec']> = {}): Restore {
  return kube.seed(RESTORES, {
    apiVersion: 'cairn.dev/v1alpha1',
    kind: 'Restore',
    metadata: { name, namespace: NS },
    spec: {
      repository: 'repo',
      source: { pvc: { name: 'data', sourcePathPrefix: '/pvc' } },
      target: { newPVC: { name: 'restored', capacity: '1Gi', accessModes: ['ReadWriteOnce'] } },
      overwrite: false,
      onMissingSnapshot: 'Fail',
      ...spec,
    },
  } as Restore);
}

export function seedPvc(kube: FakeKube, name: string, spec: PersistentVolumeClaim['spec'] = {}, labels: Record<string, string> = { app: 'demo' }): PersistentVolumeClaim {
  return kube.seed(PVCS, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS, labels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
    status: { phase: 'Bound' },
  } as PersistentVolumeClaim);
}

/** A running pod that mounts `claim`. */
export function seedConsumer(kube: FakeKube, name: string, claim: string, spec: Json = {}): Pod {
  return kube.seed(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'app', image: 'app', volumeMounts: [{ name: 'data', mountPath: '/var/lib/app' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
      ...spec,
    },
    status: { phase: 'Running' },
  } as Pod);
}

export function jobs(kube: FakeKube, purpose?: string): Job[] {
  return kube.all<Job>(JOBS, NS).filter((j) => purpose === undefined || j.metadata.labels?.['cairn.dev/purpose'] === purpose);
}

export function ok(command: string, extra: Partial<MoverResult> = {}): MoverResult {
  return { v: 1, command, ok: true, code: 'OK', exitCode: 0, durationSeconds: 1, ...extra };
}

/** A `snapshot create` result for PVC data of namespace app. */
export function snapshotOk(over: Partial<NonNullable<MoverResult['snapshot']>> = {}): MoverResult {
  return ok('snapshot create', {
    snapshot: {
      id: 'k0123456789abcdef0123456789abcdef',
      source: `${NS}@cairn:/pvc/data`,
      startTime: '2026-05-01T10:00:00Z',
      endTime: '2026-05-01T10:00:10Z',
      rootObject: 'k1',
      files: 10,
      dirs: 2,
      bytes: 1000,
      bytesRead: 1000,
      bytesUploaded: 500,
      partial: false,
      skipped: [],
      skippedCount: 0,
      ...over,
    },
  });
}

export function failed(command: string, code: MoverResult['code'], exitCode: number, message = 'failed'): MoverResult {
  return { v: 1, command, ok: false, code, exitCode, durationSeconds: 1, message };
}

export interface FinishOptions {
  /** Job condition reason when it failed (PodFailurePolicy, BackoffLimitExceeded, DeadlineExceeded). */
  readonly jobReason?: string;
  /** The mover container was OOM-killed (no result). */
  readonly oomKilled?: boolean;
  readonly initResults?: readonly { name: string; result: MoverResult }[];
}

/** Play the Job controller and kubelet: one pod for `name` that ends with `result`, and the Job's conditions. */
export function finishJob(op: FakeOperator, name: string, result: MoverResult | undefined, o: FinishOptions = {}): void {
  const kube = op.kube;
  const job = kube.peek<Job>(JOBS, NS, name);
  if (job === undefined) throw new Error(`no Job ${name}`);
  const stamp = toRfc3339(op.clock.now());
  const success = result?.ok === true;
  const terminated = (r: MoverResult | undefined): Json => ({
    exitCode: o.oomKilled === true ? 137 : (r?.exitCode ?? 1),
    reason: o.oomKilled === true ? 'OOMKilled' : success ? 'Completed' : 'Error',
    message: r !== undefined ? encodeResult(r) : '',
  });
  const podName = `${name}-a`.slice(0, 63);
  if (kube.peek(PODS, NS, podName) === undefined) {
    kube.seed(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName, namespace: NS, labels: { ...job.spec!.template.metadata?.labels, 'batch.kubernetes.io/job-name': name } },
      spec: job.spec!.template.spec as Pod['spec'],
    } as Pod);
  }
  kube.setStatus<Pod>(PODS, NS, podName, {
    phase: success ? 'Succeeded' : 'Failed',
    initContainerStatuses: (o.initResults ?? []).map((x) => ({ name: x.name, state: { terminated: terminated(x.result) as never } })),
    containerStatuses: [{ name: 'mover', state: { terminated: terminated(result) as never } }],
  });
  kube.setStatus<Job>(
    JOBS,
    NS,
    name,
    success
      ? { succeeded: 1, completionTime: stamp, conditions: [{ type: 'Complete', status: 'True', reason: 'CompletionsReached' }] }
      : { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: o.jobReason ?? 'PodFailurePolicy', message: 'Container mover failed' }] },
  );
}
