import { describe, expect, it } from 'vitest';
import type { Job, Pod } from '../api/core-types.ts';
import { encodeResult } from '../../../mover/src/contract/mover-result.ts';
import { readJobOutcome } from './job-outcome.ts';

const t0 = Date.parse('2026-05-01T00:00:00Z');
const job = (conditions: Job['status'] = {}): Job => ({ metadata: { name: 'j' }, status: conditions });
const pod = (status: Pod['status'], created = t0): Pod => ({ metadata: { name: 'p', creationTimestamp: new Date(created).toISOString() }, status });
const terminated = (message: string, exitCode: number): Pod['status'] => ({
  phase: exitCode === 0 ? 'Succeeded' : 'Failed',
  containerStatuses: [{ name: 'mover', state: { terminated: { exitCode, message } } }],
});

describe('readJobOutcome', () => {
  it('reads a success result from the termination message', () => {
    const msg = encodeResult({ v: 1, command: 'snapshot create', ok: true, code: 'OK', exitCode: 0, durationSeconds: 2 });
    const o = readJobOutcome(job({ conditions: [{ type: 'Complete', status: 'True' }] }), [pod(terminated(msg, 0))], t0);
    expect(o.phase).toBe('Succeeded');
    expect(o.result?.command).toBe('snapshot create');
  });

  it('takes the failure reason from the result', () => {
    const msg = encodeResult({ v: 1, command: 'snapshot create', ok: false, code: 'WRONG_PASSWORD', exitCode: 10, durationSeconds: 1, message: 'bad' });
    const o = readJobOutcome(job({ conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy' }] }), [pod(terminated(msg, 10))], t0);
    expect(o).toMatchObject({ phase: 'Failed', reason: 'WrongPassword', message: 'bad' });
  });

  it('falls back on the Job reason when no result was left', () => {
    const o = readJobOutcome(job({ conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] }), [], t0);
    expect(o).toMatchObject({ phase: 'Failed', reason: 'JobDeadlineExceeded' });
  });

  it('reports image pull problems at once and Pending pods after the grace period', () => {
    const pulling = pod({ phase: 'Pending', containerStatuses: [{ name: 'mover', state: { waiting: { reason: 'ImagePullBackOff', message: 'no such image' } } }] });
    expect(readJobOutcome(job(), [pulling], t0 + 1000).stuck).toEqual({ reason: 'ImagePullBackOff', message: 'no such image' });
    const unsched = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes' }] });
    expect(readJobOutcome(job(), [unsched], t0 + 60_000).stuck).toBeUndefined();
    expect(readJobOutcome(job(), [unsched], t0 + 600_000).stuck).toEqual({ reason: 'Unschedulable', message: '0/3 nodes' });
  });

  it('names an OOM-killed mover that left no result, with its memory limit', () => {
    const j: Job = {
      metadata: { name: 'j' },
      spec: { template: { spec: { containers: [{ name: 'mover', resources: { limits: { memory: '512Mi' } } }] } } },
      status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
    };
    const older = pod({ phase: 'Failed', containerStatuses: [{ name: 'mover', state: { terminated: { exitCode: 16, message: encodeResult({ v: 1, command: 'snapshot create', ok: false, code: 'UNREACHABLE', exitCode: 16, durationSeconds: 1 }) } } }] }, t0);
    const killed = pod({ phase: 'Failed', containerStatuses: [{ name: 'mover', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }, t0 + 60_000);
    const o = readJobOutcome(j, [older, killed], t0 + 120_000);
    expect(o).toMatchObject({ phase: 'Failed', reason: 'OOMKilled' });
    expect(o.message).toContain('limit 512Mi');
    expect(o.message).toContain('spec.mover.resources.limits.memory');
  });
});
