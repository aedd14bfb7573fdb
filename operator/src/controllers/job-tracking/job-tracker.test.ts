import { describe, expect, it } from 'vitest';
import type { Job } from '../../api/core-types.ts';
import { buildMoverJob } from '../../jobs/mover-job.ts';
import { repositoryAccess } from '../../jobs/repository-access.ts';
import { KubeApiError } from '../../runtime/kube-client.ts';
import { JOBS } from '../../runtime/resource-type.ts';
import type { FakeOperator } from '../../test-support/fake-operator.ts';
import { NS, failed, fakeOperator, finishJob, ok, seedRepository } from '../../test-support/fake-operator.ts';
import { RUNNING_POLL_MS, startJob, trackJob } from './job-tracker.ts';

function moverJob(op: FakeOperator, name = 'j'): Job {
  return buildMoverJob({
    name,
    namespace: NS,
    owner: { apiVersion: 'cairn.dev/v1alpha1', kind: 'Restore', metadata: { name: 'r', namespace: NS, uid: 'u-r' } },
    purpose: 'restore',
    image: op.ctx.config.moverImage,
    imagePullSecrets: [],
    command: op.ctx.config.moverCommand,
    invocation: { command: 'repository status' },
    access: repositoryAccess(seedRepository(op.kube)),
    overrides: {},
    privileged: false,
    labels: {},
    logLevel: 'info',
  });
}

const hide = (op: FakeOperator, name: string): void => {
  op.kube.hiddenFromCache.add(`${JOBS.plural}/${NS}/${name}`);
};

describe('trackJob', () => {
  it('reports a Job deleted before its result was read as Lost, naming it, on the first look', async () => {
    const op = fakeOperator();
    await startJob(op.ctx, moverJob(op));
    await op.kube.delete(JOBS, NS, 'j');
    const t = await trackJob(op.ctx, NS, 'j');
    expect(t).toMatchObject({ state: 'Lost', reason: 'MoverJobLost' });
    expect(t.state === 'Lost' && t.message).toContain(`mover Job ${NS}/j is gone`);
  });

  it('reads a Job the cache never sees (labels edited) from the API server, result included', async () => {
    const op = fakeOperator();
    await startJob(op.ctx, moverJob(op));
    hide(op, 'j');
    const running = await trackJob(op.ctx, NS, 'j');
    expect(running).toMatchObject({ state: 'Running', pollMs: 2_000 });
    op.clock.advance(5 * 60_000);
    expect(await trackJob(op.ctx, NS, 'j')).toMatchObject({ state: 'Running', pollMs: RUNNING_POLL_MS });
    finishJob(op, 'j', ok('repository status', { repository: { uniqueId: 'u1' } }));
    const done = await trackJob(op.ctx, NS, 'j');
    expect(done).toMatchObject({ state: 'Finished', outcome: { phase: 'Succeeded', result: { repository: { uniqueId: 'u1' } } } });
  });

  it('gives a failed Job the reason of its mover result', async () => {
    const op = fakeOperator();
    await startJob(op.ctx, moverJob(op));
    finishJob(op, 'j', failed('repository status', 'WRONG_PASSWORD', 10, 'the repository password is wrong'));
    expect(await trackJob(op.ctx, NS, 'j')).toMatchObject({ state: 'Finished', outcome: { phase: 'Failed', reason: 'WrongPassword' } });
  });

  it('throws an API error instead of calling the Job lost', async () => {
    const op = fakeOperator();
    await startJob(op.ctx, moverJob(op));
    hide(op, 'j');
    op.kube.failNext('get', JOBS, new KubeApiError(500, 'InternalError', 'etcdserver: request timed out'));
    await expect(trackJob(op.ctx, NS, 'j')).rejects.toThrow('request timed out');
  });
});

describe('startJob', () => {
  it('adopts an existing Job of the same name (AlreadyExists) and throws other API errors', async () => {
    const op = fakeOperator();
    const first = await startJob(op.ctx, moverJob(op));
    hide(op, 'j');
    const again = await startJob(op.ctx, moverJob(op));
    expect(first.state).toBe('Started');
    expect(again).toEqual({ state: 'Started', job: expect.objectContaining({ metadata: expect.objectContaining({ uid: first.state === 'Started' ? first.job.metadata.uid : '' }) }) });
    op.kube.failNext('create', JOBS, new KubeApiError(409, 'Conflict', 'the object has been modified'));
    await expect(startJob(op.ctx, moverJob(op, 'k'))).rejects.toThrow('the object has been modified');
    expect(op.kube.peek(JOBS, NS, 'k')).toBeUndefined();
  });

  // What a real API server answers (e2e/operator/job-lifecycle.itest.ts): 400 for a value it cannot decode, 422 for one it does not accept.
  for (const error of [
    new KubeApiError(400, 'BadRequest', 'Job in version "v1" cannot be handled as a Job: quantities must match the regular expression'),
    new KubeApiError(422, 'Invalid', 'Job.batch "j" is invalid: spec.template.spec.tolerations[0].operator: Unsupported value: "Sometimes"'),
  ]) {
    it(`returns a Job the API server refuses (${error.status} ${error.reason}) as Rejected, naming the Job, the cause and where to fix it`, async () => {
      const op = fakeOperator();
      op.kube.failNext('create', JOBS, error);
      const r = await startJob(op.ctx, moverJob(op));
      expect(r).toMatchObject({ state: 'Rejected', reason: 'MoverJobRejected' });
      expect(r.state === 'Rejected' && r.message).toBe(
        `the API server rejected mover Job ${NS}/j: ${error.message}; fix spec.mover (resources, podSecurityContext, tolerations, nodeSelector) of Restore r and of its BackupRepository`,
      );
    });
  }
});
