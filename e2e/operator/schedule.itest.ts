// SnapshotSchedule behaviour with an injected clock, against a real kube-apiserver: one Job per due time,
// none while suspended, one per manual trigger, none twice across an operator restart, results become
// Snapshot resources and status, failures and stuck pods become conditions, and /metrics reports it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../operator/src/api/meta.ts';
import type { Snapshot } from '../../operator/src/api/resources.ts';
import type { Operator } from '../../operator/src/operator.ts';
import { FakeClock } from '../../operator/src/runtime/fake-clock.ts';
import { SNAPSHOTS, SNAPSHOT_SCHEDULES } from '../../operator/src/runtime/resource-type.ts';
import { CronSchedule } from '../../operator/src/schedule/cron-schedule.ts';
import type { OperatorCluster } from '../support/kube-operator.ts';
import { failureResult, finishJob, newOperator, sleepMs, snapshotResult, startOperatorCluster, stickInImagePull, waitFor } from '../support/kube-operator.ts';
import { requireKubeTools } from '../support/kube-tools.ts';
import { createSchedule, getSchedule, jobsOf, makeRepositoryReady, setupApp } from './app-fixture.ts';

const tools = requireKubeTools();
const NS = 'app';
const HOUR = 3_600_000;

describe.skipIf(tools === undefined)('SnapshotSchedule with an injected clock', () => {
  let oc: OperatorCluster;
  let op: Operator;
  let clock: FakeClock;

  const snapJobs = async (schedule: string): Promise<string[]> =>
    (await jobsOf(oc.admin, NS, `cairn.dev/schedule=${schedule},cairn.dev/purpose=snapshot`)).map((j) => j.metadata.name!).sort();
  const cond = async (schedule: string, type: string): Promise<Condition | undefined> =>
    (await getSchedule(oc.admin, NS, schedule)).status?.conditions?.find((c) => c.type === type);
  /** Advance the fake clock and let the operator react. */
  const advanceTo = async (ms: number): Promise<void> => {
    clock.set(ms);
    await sleepMs(800);
  };

  beforeAll(async () => {
    oc = await startOperatorCluster(tools!);
    await setupApp(oc, NS);
    clock = new FakeClock(Date.now());
    op = newOperator(oc, { identity: 'op-a', clock, httpPort: 0 });
    await op.start();
    await makeRepositoryReady(oc, NS);
  });
  afterAll(async () => {
    await op?.stop();
    await oc?.cluster.stop();
  });

  it('creates exactly one Job per due time and records the result', async () => {
    await createSchedule(oc.admin, NS, 'hourly', { schedule: '0 * * * *', retention: undefined });
    const s = await waitFor('nextRunTime', async () => (await getSchedule(oc.admin, NS, 'hourly')).status?.nextRunTime);
    const due1 = Date.parse(s);
    expect(due1 % HOUR).toBe(0);
    await advanceTo(due1 - 60_000);
    expect(await snapJobs('hourly')).toEqual([]);
    await advanceTo(due1 + 1_000);
    const first = await waitFor('first Job', async () => (await snapJobs('hourly'))[0]);
    await advanceTo(due1 + 30 * 60_000);
    expect(await snapJobs('hourly')).toEqual([first]);

    const result = snapshotResult({ files: 321, bytes: 7_654_321, retentionReasons: ['latest-1', 'hourly-1'] });
    await finishJob(oc.admin, NS, first, result);
    const done = await waitFor('lastSuccessTime', async () => {
      const st = (await getSchedule(oc.admin, NS, 'hourly')).status;
      return st?.lastSuccessTime !== undefined ? st : undefined;
    });
    expect(done.lastRun?.result).toBe('Succeeded');
    expect(done.activeRun).toBeUndefined();
    expect(done.lastSnapshot).toBeDefined();
    const rec = await oc.admin.get<Snapshot>(SNAPSHOTS, NS, done.lastSnapshot!);
    expect(rec.spec).toMatchObject({ snapshotId: result.snapshot!.id, sourcePVC: 'data', files: 321, bytes: 7_654_321, repository: 'repo', schedule: 'hourly' });
    expect(rec.status?.retentionReasons).toEqual(['latest-1', 'hourly-1']);
    const listed = oc.cluster.kubectl(['get', 'snapshots', '-n', NS]).stdout;
    expect(listed).toContain(result.snapshot!.id);

    await advanceTo(due1 + HOUR + 1_000);
    const two = await waitFor('second Job', async () => {
      const j = await snapJobs('hourly');
      return j.length === 2 ? j : undefined;
    });
    expect(two).toContain(first);
    await finishJob(oc.admin, NS, two.find((j) => j !== first)!, snapshotResult());
    await waitFor('second run done', async () => (await getSchedule(oc.admin, NS, 'hourly')).status?.activeRun === undefined || undefined);
  });

  it('exposes the last success time and bytes on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${op.port!}/metrics`)).text();
    expect(text).toMatch(/cairn_schedule_last_success_timestamp_seconds\{namespace="app",schedule="hourly"\} \d+/);
    expect(text).toMatch(/cairn_schedule_last_snapshot_bytes\{namespace="app",schedule="hourly"\} \d+/);
    expect(text).toMatch(/cairn_controller_reconcile_total\{controller="snapshotschedule",result="success"\} \d+/);
    expect((await fetch(`http://127.0.0.1:${op.port!}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${op.port!}/readyz`)).status).toBe(200);
  });

  it('starts nothing while suspended and resumes at the next due time', async () => {
    const before = await snapJobs('hourly');
    oc.cluster.kubectl(['patch', 'snapshotschedule', 'hourly', '-n', NS, '--type=merge', '-p', '{"spec":{"suspend":true}}']);
    await waitFor('Suspended', async () => (await getSchedule(oc.admin, NS, 'hourly')).status?.state === 'Suspended' || undefined);
    const base = Math.ceil(clock.now() / HOUR) * HOUR;
    await advanceTo(base + 5_000);
    await advanceTo(base + HOUR + 5_000);
    expect(await snapJobs('hourly')).toEqual(before);
    oc.cluster.kubectl(['patch', 'snapshotschedule', 'hourly', '-n', NS, '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await sleepMs(1_000);
    expect(await snapJobs('hourly')).toEqual(before); // no catch-up run for suspended due times
    await advanceTo(base + 2 * HOUR + 5_000);
    const after = await waitFor('run after resume', async () => {
      const j = await snapJobs('hourly');
      return j.length === before.length + 1 ? j : undefined;
    });
    const fresh = after.find((j) => !before.includes(j))!;
    await finishJob(oc.admin, NS, fresh, snapshotResult());
    await waitFor('run done', async () => (await getSchedule(oc.admin, NS, 'hourly')).status?.activeRun === undefined || undefined);
  });

  it('runs a manual trigger exactly once', async () => {
    await createSchedule(oc.admin, NS, 'manual', { schedule: '0 0 1 1 *', suspend: true });
    await waitFor('status', async () => (await getSchedule(oc.admin, NS, 'manual')).status?.state);
    oc.cluster.kubectl(['patch', 'snapshotschedule', 'manual', '-n', NS, '--type=merge', '-p', '{"spec":{"trigger":{"manual":"first"}}}']);
    const job = await waitFor('manual Job', async () => (await snapJobs('manual'))[0]);
    await sleepMs(1_000);
    expect(await snapJobs('manual')).toEqual([job]);
    await finishJob(oc.admin, NS, job, snapshotResult());
    await waitFor('lastManualTrigger', async () => (await getSchedule(oc.admin, NS, 'manual')).status?.lastManualTrigger === 'first' || undefined);
    await advanceTo(clock.now() + 10 * 60_000);
    expect(await snapJobs('manual')).toEqual([job]);
  });

  it('does not start a due time twice across an operator restart, and adopts the running Job', async () => {
    const base = Math.ceil(clock.now() / HOUR) * HOUR;
    await advanceTo(base + 2_000);
    const jobsBefore = await waitFor('job for the new due time', async () => {
      const j = await snapJobs('hourly');
      return (await getSchedule(oc.admin, NS, 'hourly')).status?.activeRun !== undefined ? j : undefined;
    });
    await op.stop(false); // crash: no lease release, nothing finished
    clock = new FakeClock(clock.now() + 60_000);
    op = newOperator(oc, { identity: 'op-b', clock, httpPort: 0 });
    await op.start();
    await sleepMs(1_500);
    // The new process reports the last success from persisted status before any run of its own.
    const metrics = await (await fetch(`http://127.0.0.1:${op.port!}/metrics`)).text();
    expect(metrics).toMatch(/cairn_schedule_last_success_timestamp_seconds\{namespace="app",schedule="hourly"\} \d+/);
    expect(await snapJobs('hourly')).toEqual(jobsBefore);
    const running = (await getSchedule(oc.admin, NS, 'hourly')).status!.activeRun!.sources![0]!.job!;
    await finishJob(oc.admin, NS, running, snapshotResult());
    await waitFor('adopted run finished', async () => (await getSchedule(oc.admin, NS, 'hourly')).status?.activeRun === undefined || undefined);
    await advanceTo(clock.now() + 20 * 60_000);
    expect(await snapJobs('hourly')).toEqual(jobsBefore);
  });

  it('turns a failed Job into a condition with the reason from the result', async () => {
    oc.cluster.kubectl(['patch', 'snapshotschedule', 'manual', '-n', NS, '--type=merge', '-p', '{"spec":{"trigger":{"manual":"second"}}}']);
    const current = await waitFor('second manual run', async () => {
      const run = (await getSchedule(oc.admin, NS, 'manual')).status?.activeRun;
      return run?.manualToken === 'second' ? run.sources?.[0]?.job : undefined;
    });
    await waitFor('second manual Job', async () => (await snapJobs('manual')).includes(current) || undefined);
    expect(await snapJobs('manual')).toHaveLength(2);
    await finishJob(oc.admin, NS, current, failureResult('snapshot create', 'WRONG_PASSWORD', 'the repository password is wrong'));
    const c = await waitFor('LastRunSucceeded=False', async () => {
      const x = await cond('manual', 'LastRunSucceeded');
      return x?.status === 'False' ? x : undefined;
    });
    expect(c.reason).toBe('WrongPassword');
    const s = await getSchedule(oc.admin, NS, 'manual');
    expect(s.status?.consecutiveFailures).toBe(1);
    expect(s.status?.lastRun?.reason).toBe('WrongPassword');
    const events = oc.cluster.kubectl(['get', 'events.events.k8s.io', '-n', NS, '--field-selector', 'regarding.name=manual', '-o', 'json']).stdout;
    expect(events).toContain('RunFailed');
  });

  it('reports a mover pod stuck in image pull', async () => {
    oc.cluster.kubectl(['patch', 'snapshotschedule', 'manual', '-n', NS, '--type=merge', '-p', '{"spec":{"trigger":{"manual":"third"}}}']);
    const job = await waitFor('third manual Job', async () => (await getSchedule(oc.admin, NS, 'manual')).status?.activeRun?.sources?.[0]?.job);
    await waitFor('Job exists', async () => (await snapJobs('manual')).includes(job) || undefined);
    await stickInImagePull(oc.admin, NS, job);
    const c = await waitFor('Progressing=False ImagePullBackOff', async () => {
      const x = await cond('manual', 'Progressing');
      return x?.reason === 'ImagePullBackOff' ? x : undefined;
    });
    expect(c.status).toBe('False');
    expect(c.message).toContain('Back-off pulling image');
    const events = oc.cluster.kubectl(['get', 'events.events.k8s.io', '-n', NS, '-o', 'json']).stdout;
    expect(events).toContain('ImagePullBackOff');
  });

  // The operator resolves H from each schedule's UID, which the API server picks at random: the spread of
  // those 100 random keys is a property of the hash, checked over fixed keys in cron-schedule.test.ts. Here
  // what must hold is the contract: every status.effectiveSchedule is the expression resolved with its own UID.
  it('resolves H from each schedule\'s UID and spreads 100 H schedules over the hour', async () => {
    for (let i = 0; i < 100; i++) await createSchedule(oc.admin, NS, `spread-${i}`, { schedule: 'H * * * *', suspend: true });
    const resolved = await waitFor(
      'effective schedules',
      async () => {
        const list = (await oc.admin.list<{ metadata: { name?: string; uid?: string }; status?: { effectiveSchedule?: string } }>(SNAPSHOT_SCHEDULES, NS)).items.filter(
          (s) => s.metadata.name?.startsWith('spread-'),
        );
        const done = list.filter((s) => s.status?.effectiveSchedule !== undefined);
        return done.length === 100 ? done.map((s) => ({ uid: s.metadata.uid!, effective: s.status!.effectiveSchedule! })) : undefined;
      },
      60_000,
    );
    for (const { uid, effective } of resolved) expect(effective).toBe(CronSchedule.parse('H * * * *', uid).effective);
    // ~48 distinct minutes are expected; fewer than 30 would take a broken hash, not bad luck (>7 sd away)
    expect(new Set(resolved.map((r) => r.effective)).size).toBeGreaterThanOrEqual(30);
  });
});
