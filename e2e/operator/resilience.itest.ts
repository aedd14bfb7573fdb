// The operator survives the API server going away: its informers restart and relist, and work requested
// while or after it was down is done once the server is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operator } from '../../operator/src/operator.ts';
import type { OperatorCluster } from '../support/kube-operator.ts';
import { finishJob, newOperator, snapshotResult, startOperatorCluster, waitFor } from '../support/kube-operator.ts';
import { requireKubeTools } from '../support/kube-tools.ts';
import { createSchedule, getSchedule, jobsOf, makeRepositoryReady, setupApp } from './app-fixture.ts';

const tools = requireKubeTools();
const NS = 'flaky';

describe.skipIf(tools === undefined)('API server outages', () => {
  let oc: OperatorCluster;
  let op: Operator;

  beforeAll(async () => {
    oc = await startOperatorCluster(tools!);
    await setupApp(oc, NS);
    op = newOperator(oc, { identity: 'op-f', httpPort: 0 });
    await op.start();
    await makeRepositoryReady(oc, NS);
  });
  afterAll(async () => {
    await op?.stop();
    await oc?.cluster.stop();
  });

  const trigger = (token: string): void => {
    oc.cluster.kubectl(['patch', 'snapshotschedule', 'web', '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { trigger: { manual: token } } })]);
  };
  const runToken = async (token: string): Promise<void> => {
    const job = await waitFor(`Job for ${token}`, async () => {
      const run = (await getSchedule(oc.admin, NS, 'web')).status?.activeRun;
      return run?.manualToken === token ? run.sources?.[0]?.job : undefined;
    }, 60_000);
    await waitFor('Job exists', async () => ((await jobsOf(oc.admin, NS, 'cairn.dev/schedule=web')).some((j) => j.metadata.name === job) ? true : undefined));
    await finishJob(oc.admin, NS, job, snapshotResult());
    await waitFor(`${token} done`, async () => ((await getSchedule(oc.admin, NS, 'web')).status?.lastManualTrigger === token ? true : undefined), 60_000);
  };

  it('keeps working across two API server restarts', async () => {
    await createSchedule(oc.admin, NS, 'web', { schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'one' } });
    await runToken('one');
    for (const token of ['two', 'three']) {
      await oc.cluster.restartApiserver(2_000);
      trigger(token);
      await runToken(token);
    }
    expect(await jobsOf(oc.admin, NS, 'cairn.dev/schedule=web,cairn.dev/purpose=snapshot')).toHaveLength(3);
    expect((await fetch(`http://127.0.0.1:${op.port!}/readyz`)).status).toBe(200);
  });
});
