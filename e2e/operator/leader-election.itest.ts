// Two operator instances against one API server: exactly one leads and writes; killing the leader hands
// over once the lease expires (lease duration plus a retry period after its last renewal), and the new
// leader adopts the running Job instead of starting it again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operator } from '../../operator/src/operator.ts';
import type { OperatorCluster } from '../support/kube-operator.ts';
import { OPERATOR_NAMESPACE, finishJob, newOperator, sleepMs, snapshotResult, startOperatorCluster, waitFor } from '../support/kube-operator.ts';
import { OPERATOR_USER } from '../support/kube-fixtures.ts';
import { requireKubeTools } from '../support/kube-tools.ts';
import { createSchedule, getSchedule, jobsOf, makeRepositoryReady, setupApp } from './app-fixture.ts';

const tools = requireKubeTools();
const NS = 'ha';
const LEASE = { namespace: OPERATOR_NAMESPACE, name: 'cairn-operator', leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };
const WRITES = new Set(['create', 'update', 'patch', 'delete']);

describe.skipIf(tools === undefined)('leader election', () => {
  let oc: OperatorCluster;
  let a: Operator;
  let b: Operator;

  beforeAll(async () => {
    oc = await startOperatorCluster(tools!);
    await setupApp(oc, NS);
    a = newOperator(oc, { identity: 'op-a', leaderElection: LEASE });
    b = newOperator(oc, { identity: 'op-b', leaderElection: LEASE });
    await Promise.all([a.start(), b.start()]);
  });
  afterAll(async () => {
    await a?.stop(false);
    await b?.stop(false);
    await oc?.cluster.stop();
  });

  const writesBy = (identity: string): string[] =>
    oc.cluster
      .audit()
      .filter(
        (e) =>
          e.user.username === OPERATOR_USER &&
          e.userAgent?.includes(identity) === true &&
          WRITES.has(e.verb) &&
          e.objectRef?.resource !== 'leases' &&
          e.stage === 'ResponseComplete',
      )
      .map((e) => `${e.verb} ${e.objectRef?.resource ?? ''}/${e.objectRef?.name ?? ''}`);

  it('elects exactly one leader, and only it writes', async () => {
    const leader = await waitFor('a leader', () => (a.isLeader ? a : b.isLeader ? b : undefined));
    const follower = leader === a ? b : a;
    await makeRepositoryReady(oc, NS);
    await createSchedule(oc.admin, NS, 'web', { schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'go' } });
    await waitFor('Job', async () => (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=web'))[0]);
    await sleepMs(1_000);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    const leaderId = leader === a ? 'op-a' : 'op-b';
    const followerId = leader === a ? 'op-b' : 'op-a';
    expect(writesBy(leaderId).length).toBeGreaterThan(0);
    expect(writesBy(followerId)).toEqual([]);
    expect(follower.isLeader).toBe(false);
  });

  it('hands over within the lease duration when the leader dies, adopting the running Job', async () => {
    const leader = a.isLeader ? a : b;
    const follower = leader === a ? b : a;
    const jobs = (await jobsOf(oc.admin, NS, 'cairn.dev/schedule=web')).map((j) => j.metadata.name!);
    expect(jobs).toHaveLength(1);
    const killedAt = Date.now();
    await leader.stop(false); // no lease release: a crash
    await waitFor('new leader', () => follower.isLeader || undefined, 15_000);
    const handover = Date.now() - killedAt;
    process.stderr.write(`leader handover took ${handover} ms\n`);
    // Lease-based election cannot beat leaseDuration + retryPeriod after the last renewal (client-go has the
    // same bound); allow one more retry period plus timer slack for a loaded 2-core CI machine.
    expect(handover).toBeGreaterThanOrEqual(LEASE.leaseDurationMs - 2 * LEASE.retryPeriodMs);
    expect(handover).toBeLessThanOrEqual(LEASE.leaseDurationMs + 2 * LEASE.retryPeriodMs + 1_000);
    await sleepMs(1_500);
    expect((await jobsOf(oc.admin, NS, 'cairn.dev/schedule=web')).map((j) => j.metadata.name!)).toEqual(jobs);
    await finishJob(oc.admin, NS, jobs[0]!, snapshotResult());
    const st = await waitFor('run recorded by the new leader', async () => {
      const s = (await getSchedule(oc.admin, NS, 'web')).status;
      return s?.lastManualTrigger === 'go' ? s : undefined;
    });
    expect(st.lastRun?.result).toBe('Succeeded');
    expect(st.lastSnapshot).toBeDefined();
    const newId = follower === a ? 'op-a' : 'op-b';
    expect(writesBy(newId).some((w) => w.startsWith('create snapshots/'))).toBe(true);
    expect(writesBy(newId).some((w) => w.startsWith('create jobs/'))).toBe(false);
  });
});
