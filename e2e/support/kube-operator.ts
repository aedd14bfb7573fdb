// Runs the operator in-process against a test cluster (as its ServiceAccount identity, so config/rbac is
// what it gets) and plays the kubelet's and Job controller's part: pods for Jobs, container termination
// messages carrying mover results, Job conditions, and pods stuck in image pull.
import { join } from 'node:path';
import { pino } from 'pino';
import type { Job, Pod } from '../../operator/src/api/core-types.ts';
import { Operator } from '../../operator/src/operator.ts';
import type { OperatorOptions } from '../../operator/src/operator.ts';
import type { Clock } from '../../operator/src/runtime/clock.ts';
import { HttpKubeClient } from '../../operator/src/runtime/kube-client.ts';
import { JOBS, PODS } from '../../operator/src/runtime/resource-type.ts';
import type { MoverResult, SnapshotSummary } from '../../mover/src/contract/mover-result.ts';
import { encodeResult } from '../../mover/src/contract/mover-result.ts';
import type { ErrorCode } from '../../mover/src/contract/error-codes.ts';
import { exitCodeFor } from '../../mover/src/contract/error-codes.ts';
import type { KubeCluster } from './kube-cluster.ts';
import { startKubeCluster } from './kube-cluster.ts';
import { OPERATOR_GROUPS, OPERATOR_NAMESPACE, OPERATOR_USER, installCrds, installOperatorRbac } from './kube-fixtures.ts';
import type { KubeTools } from './kube-tools.ts';

export interface OperatorCluster {
  readonly cluster: KubeCluster;
  /** Admin client for arranging and inspecting state. */
  readonly admin: HttpKubeClient;
}

export async function startOperatorCluster(tools: KubeTools): Promise<OperatorCluster> {
  const cluster = await startKubeCluster(tools, [{ name: OPERATOR_USER, groups: OPERATOR_GROUPS }]);
  installCrds(cluster);
  installOperatorRbac(cluster);
  return { cluster, admin: new HttpKubeClient(cluster.admin) };
}

export interface TestOperatorOptions {
  readonly identity: string;
  readonly clock?: Clock;
  readonly leaderElection?: OperatorOptions['leaderElection'];
  readonly httpPort?: number;
}

export function newOperator(oc: OperatorCluster, o: TestOperatorOptions): Operator {
  const log = pino(
    { level: process.env['CAIRN_TEST_LOG'] ?? 'debug', base: { id: o.identity } },
    pino.destination({ dest: join(oc.cluster.dir, `operator-${o.identity}.log`), sync: true }),
  );
  return new Operator({
    kubeConfig: oc.cluster.kubeConfigFor(OPERATOR_USER),
    log,
    identity: o.identity,
    clock: o.clock,
    leaderElection: o.leaderElection ?? false,
    httpPort: o.httpPort,
    httpHost: '127.0.0.1',
    config: { moverImage: 'cairn:test', pendingGraceMs: 60_000 },
    workers: 2,
  });
}

export { OPERATOR_NAMESPACE };

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Create the pod the Job controller would have created, from the Job's template. */
export async function createJobPod(admin: HttpKubeClient, ns: string, jobName: string, suffix = 'a'): Promise<Pod> {
  const job = await admin.get<Job>(JOBS, ns, jobName);
  const tpl = job.spec!.template;
  return admin.create<Pod>(PODS, ns, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${jobName}-${suffix}`.slice(0, 63),
      namespace: ns,
      labels: { ...tpl.metadata?.labels, 'batch.kubernetes.io/job-name': jobName, 'job-name': jobName },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: job.metadata.uid!, controller: true }],
    },
    spec: tpl.spec as Pod['spec'],
  });
}

export function snapshotResult(over: Partial<SnapshotSummary> = {}, durationSeconds = 12): MoverResult {
  const id = over.id ?? `k${Math.random().toString(16).slice(2).padEnd(31, '0')}`;
  return {
    v: 1,
    command: 'snapshot create',
    ok: true,
    code: 'OK',
    exitCode: 0,
    durationSeconds,
    snapshot: {
      id,
      source: 'app@cairn:/pvc/data',
      startTime: '2026-05-01T10:00:00Z',
      endTime: '2026-05-01T10:00:12Z',
      rootObject: 'k0',
      files: 1200,
      dirs: 40,
      bytes: 52_428_800,
      bytesRead: 52_428_800,
      bytesUploaded: 10_485_760,
      partial: false,
      skipped: [],
      skippedCount: 0,
      ...over,
    },
  };
}

export function failureResult(command: string, code: ErrorCode, message: string): MoverResult {
  return { v: 1, command, ok: false, code, exitCode: exitCodeFor(code), durationSeconds: 1, message };
}

export function okResult(command: string, extra: Partial<MoverResult> = {}): MoverResult {
  return { v: 1, command, ok: true, code: 'OK', exitCode: 0, durationSeconds: 1, ...extra };
}

const stamp = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Play the pod and Job controller: the pod terminates with `result` as its termination message. */
export async function finishJob(
  admin: HttpKubeClient,
  ns: string,
  jobName: string,
  result: MoverResult | undefined,
  jobFailReason = 'PodFailurePolicy',
  initResults: readonly { name: string; result: MoverResult }[] = [],
): Promise<void> {
  const ok = result?.ok === true;
  let pod: Pod;
  try {
    pod = await admin.get<Pod>(PODS, ns, `${jobName}-a`.slice(0, 63));
  } catch {
    pod = await createJobPod(admin, ns, jobName);
  }
  const exitCode = result?.exitCode ?? 1;
  await admin.replaceStatus<Pod>(PODS, ns, {
    ...pod,
    status: {
      phase: ok ? 'Succeeded' : 'Failed',
      startTime: stamp(),
      initContainerStatuses: initResults.map((r) => ({
        name: r.name,
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: r.result.exitCode, reason: 'Completed', message: encodeResult(r.result), startedAt: stamp(), finishedAt: stamp() } },
      })),
      containerStatuses: [
        {
          name: 'mover',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, reason: ok ? 'Completed' : 'Error', message: result !== undefined ? encodeResult(result) : '', startedAt: stamp(), finishedAt: stamp() } },
        },
      ],
    },
  } as Pod);
  const job = await admin.get<Job>(JOBS, ns, jobName);
  const now = stamp();
  const status: Job['status'] = ok
    ? {
        startTime: job.status?.startTime ?? now,
        completionTime: now,
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: now },
          { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: now },
        ],
      }
    : {
        startTime: job.status?.startTime ?? now,
        failed: 1,
        conditions: [
          { type: 'FailureTarget', status: 'True', reason: jobFailReason, message: 'Container mover failed', lastTransitionTime: now },
          { type: 'Failed', status: 'True', reason: jobFailReason, message: 'Container mover failed', lastTransitionTime: now },
        ],
      };
  await admin.replaceStatus<Job>(JOBS, ns, { ...job, status });
}

/** Play a kubelet that cannot pull the mover image. */
export async function stickInImagePull(admin: HttpKubeClient, ns: string, jobName: string): Promise<void> {
  const pod = await createJobPod(admin, ns, jobName);
  await admin.replaceStatus<Pod>(PODS, ns, {
    ...pod,
    status: {
      phase: 'Pending',
      containerStatuses: [
        { name: 'mover', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "cairn:test"' } } },
      ],
    },
  } as Pod);
  const job = await admin.get<Job>(JOBS, ns, jobName);
  await admin.replaceStatus<Job>(JOBS, ns, { ...job, status: { startTime: stamp(), active: 1 } });
}
