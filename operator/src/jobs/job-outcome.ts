// What happened to a mover Job, read from the Job's conditions and its pods' container termination messages
// (the mover's --result-file JSON). Never from logs. Also spots pods that cannot start: image pull errors
// at once, unschedulable or otherwise Pending pods after a grace period.
import type { ContainerStatus, Job, Json, Pod } from '../api/core-types.ts';
import { ERROR_CODES } from '../../../mover/src/contract/error-codes.ts';
import type { ErrorCode } from '../../../mover/src/contract/error-codes.ts';
import type { MoverResult } from '../../../mover/src/contract/mover-result.ts';
import { decodeResult } from '../../../mover/src/contract/mover-result.ts';
import { MOVER_CONTAINER } from './mover-job.ts';

export type JobPhase = 'Running' | 'Succeeded' | 'Failed';

export interface JobOutcome {
  readonly phase: JobPhase;
  /** The mover's result, when a pod left one. */
  readonly result?: MoverResult;
  /** Condition reason: the result's reason, else the Job's (DeadlineExceeded, BackoffLimitExceeded ...). */
  readonly reason?: string;
  readonly message?: string;
  /** Set while Running when the pod cannot start (ImagePullBackOff, Unschedulable, PodPending ...). */
  readonly stuck?: { readonly reason: string; readonly message: string };
}

const IMAGE_PROBLEMS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError']);

function cond(job: Job, type: string): { reason?: string; message?: string } | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

function moverStatus(pod: Pod): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === MOVER_CONTAINER);
}

function decode(status: ContainerStatus | undefined): MoverResult | undefined {
  const message = status?.state?.terminated?.message ?? status?.lastState?.terminated?.message;
  if (message === undefined || message.trim() === '') return undefined;
  try {
    return decodeResult(message.trim());
  } catch {
    return undefined;
  }
}

/** The mover container's result, else (the main container never ran) the first failed init step's. */
function resultOf(pod: Pod): MoverResult | undefined {
  return decode(moverStatus(pod)) ?? initResults(pod).find((r) => !r.result.ok)?.result;
}

/** Results left by a pod's init containers (e.g. the expire steps of a maintenance Job), in order. */
export function initResults(pod: Pod): { container: string; result: MoverResult }[] {
  const out: { container: string; result: MoverResult }[] = [];
  for (const st of pod.status?.initContainerStatuses ?? []) {
    const result = decode(st);
    if (result !== undefined) out.push({ container: st.name, result });
  }
  return out;
}

const created = (p: Pod): number => Date.parse(p.metadata.creationTimestamp ?? '') || 0;

/** The container of `pod` the kernel killed for exceeding its memory limit, if any (it leaves no result). */
function oomKilled(pod: Pod): string | undefined {
  for (const st of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    if (st.state?.terminated?.reason === 'OOMKilled' || st.lastState?.terminated?.reason === 'OOMKilled') return st.name;
  }
  return undefined;
}

function memoryLimit(job: Job, container: string): string | undefined {
  const spec = job.spec?.template.spec as { containers?: Json[]; initContainers?: Json[] } | undefined;
  const c = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find((x) => x['name'] === container);
  return ((c?.['resources'] as { limits?: Record<string, string> } | undefined)?.limits ?? {})['memory'];
}

/** `pods` are the Job's pods (any order); `nowMs` and `pendingGraceMs` decide when Pending becomes stuck. */
export function readJobOutcome(job: Job, pods: readonly Pod[], nowMs: number, pendingGraceMs = 3 * 60_000): JobOutcome {
  const newestFirst = [...pods].sort((a, b) => created(b) - created(a));
  const withResult = newestFirst.map((p) => ({ pod: p, result: resultOf(p) })).filter((x) => x.result !== undefined);
  if (cond(job, 'Complete') !== undefined || cond(job, 'SuccessCriteriaMet') !== undefined) {
    const ok = withResult.find((x) => x.result!.ok) ?? withResult[0];
    return { phase: 'Succeeded', result: ok?.result, reason: ok?.result?.code !== undefined ? reasonOf(ok.result) : 'Succeeded' };
  }
  const failed = cond(job, 'Failed') ?? cond(job, 'FailureTarget');
  if (failed !== undefined) {
    // The newest attempt decides: one killed for memory left no result, and an older attempt's result
    // would hide why the Job finally failed.
    const newest = newestFirst.find((p) => p.status?.phase === 'Failed');
    const killed = newest !== undefined && resultOf(newest) === undefined ? oomKilled(newest) : undefined;
    if (killed !== undefined) {
      const limit = memoryLimit(job, killed);
      return {
        phase: 'Failed',
        reason: 'OOMKilled',
        message: `mover container ${killed} ran out of memory${limit !== undefined ? ` (limit ${limit})` : ''}; raise spec.mover.resources.limits.memory`,
      };
    }
    const last = withResult[0]?.result;
    if (last !== undefined) return { phase: 'Failed', result: last, reason: reasonOf(last), message: last.message ?? last.hint };
    return { phase: 'Failed', reason: jobReason(failed.reason), message: failed.message ?? 'the mover Job failed without leaving a result' };
  }
  // Still running: look for a pod that cannot start.
  const current = newestFirst.find((p) => p.status?.phase === 'Pending');
  if (current !== undefined) {
    const waiting = moverStatus(current)?.state?.waiting;
    if (waiting?.reason !== undefined && IMAGE_PROBLEMS.has(waiting.reason)) {
      return { phase: 'Running', stuck: { reason: waiting.reason, message: waiting.message ?? `mover container is waiting: ${waiting.reason}` } };
    }
    const age = nowMs - created(current);
    if (age >= pendingGraceMs) {
      const sched = current.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      if (sched !== undefined) {
        return { phase: 'Running', stuck: { reason: sched.reason ?? 'Unschedulable', message: sched.message ?? 'mover pod cannot be scheduled' } };
      }
      return {
        phase: 'Running',
        stuck: { reason: 'PodPending', message: `mover pod ${current.metadata.name ?? ''} has been Pending for ${Math.round(age / 1000)}s` },
      };
    }
  }
  return { phase: 'Running' };
}

function reasonOf(r: MoverResult): string {
  // Reasons come from the closed contract table via the code; fall back on the code itself.
  return r.ok ? 'Succeeded' : reasonForCode(r.code);
}

function reasonForCode(code: ErrorCode): string {
  return (ERROR_CODES as Record<string, { reason: string } | undefined>)[code]?.reason ?? 'InternalError';
}

function jobReason(reason: string | undefined): string {
  switch (reason) {
    case 'DeadlineExceeded':
      return 'JobDeadlineExceeded';
    case 'BackoffLimitExceeded':
      return 'BackoffLimitExceeded';
    case 'PodFailurePolicy':
      return 'MoverFailed';
    default:
      return reason ?? 'JobFailed';
  }
}
