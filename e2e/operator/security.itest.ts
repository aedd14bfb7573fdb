// Security properties on a real API server: mover pods pass the Pod Security "restricted" profile,
// privileged movers are refused unless the namespace opts in, and the operator never reads a Secret that
// no resource references (checked in the audit log and in RBAC).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, Json, Pod } from '../../operator/src/api/core-types.ts';
import type { Operator } from '../../operator/src/operator.ts';
import { KubeApiError } from '../../operator/src/runtime/kube-client.ts';
import { JOBS, PODS, SECRETS } from '../../operator/src/runtime/resource-type.ts';
import type { OperatorCluster } from '../support/kube-operator.ts';
import { newOperator, startOperatorCluster, waitFor } from '../support/kube-operator.ts';
import { OPERATOR_USER } from '../support/kube-fixtures.ts';
import { requireKubeTools } from '../support/kube-tools.ts';
import { createSchedule, getSchedule, jobsOf, makeRepositoryReady, setupApp } from './app-fixture.ts';

const tools = requireKubeTools();
const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };

describe.skipIf(tools === undefined)('mover security', () => {
  let oc: OperatorCluster;
  let op: Operator;

  beforeAll(async () => {
    oc = await startOperatorCluster(tools!);
    await setupApp(oc, 'locked', RESTRICTED);
    await setupApp(oc, 'opted-in', {}, { 'cairn.dev/privileged-movers': 'true' });
    for (const ns of ['locked', 'opted-in']) {
      await oc.admin.create(SECRETS, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unrelated', namespace: ns }, stringData: { token: 'x' } } as unknown as never);
    }
    op = newOperator(oc, { identity: 'op-sec' });
    await op.start();
    await makeRepositoryReady(oc, 'locked');
    await makeRepositoryReady(oc, 'opted-in');
  });
  afterAll(async () => {
    await op?.stop();
    await oc?.cluster.stop();
  });

  const podFromJob = async (ns: string, job: Job, name: string, mutate: (spec: Json) => void = () => {}): Promise<Pod> => {
    const spec = structuredClone(job.spec!.template.spec);
    mutate(spec);
    return oc.admin.create<Pod>(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec } as Pod);
  };

  it('creates mover pods that the restricted profile admits', async () => {
    await createSchedule(oc.admin, 'locked', 'snap', { schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'now' } });
    const job = await waitFor('snapshot Job', async () => (await jobsOf(oc.admin, 'locked', 'cairn.dev/purpose=snapshot'))[0]);
    const pod = await podFromJob('locked', job, 'mover-from-job');
    expect(pod.metadata.uid).toBeDefined();
    const check = (await jobsOf(oc.admin, 'locked', 'cairn.dev/purpose=check'))[0]!;
    expect((await podFromJob('locked', check, 'check-from-job')).metadata.uid).toBeDefined();
    // Control: the same pod as root with extra capabilities is rejected, so the admission check is real.
    let err: unknown;
    try {
      await podFromJob('locked', job, 'root-mover', (spec) => {
        (spec['securityContext'] as Json)['runAsUser'] = 0;
        (spec['securityContext'] as Json)['runAsNonRoot'] = false;
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).message).toContain('violates PodSecurity "restricted:latest"');
  });

  it('refuses a privileged mover unless the namespace opts in', async () => {
    await createSchedule(oc.admin, 'locked', 'priv', { schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'now' }, mover: { privileged: true } });
    const st = await waitFor('run failed', async () => {
      const s = (await getSchedule(oc.admin, 'locked', 'priv')).status;
      return s?.lastRun !== undefined ? s : undefined;
    });
    expect(st.lastRun?.reason).toBe('PrivilegedMoverNotPermitted');
    expect(st.conditions?.find((c) => c.type === 'MoverPermitted')).toMatchObject({ status: 'False', reason: 'PrivilegedMoverNotPermitted' });
    expect(await jobsOf(oc.admin, 'locked', 'cairn.dev/schedule=priv')).toEqual([]);

    await createSchedule(oc.admin, 'opted-in', 'priv', { schedule: '0 0 1 1 *', suspend: true, trigger: { manual: 'now' }, mover: { privileged: true } });
    const job = await waitFor('privileged Job', async () => (await jobsOf(oc.admin, 'opted-in', 'cairn.dev/schedule=priv'))[0]);
    expect(job.spec!.template.spec['securityContext']).toMatchObject({ runAsUser: 0 });
  });

  it('never reads a Secret that no resource references', async () => {
    const secretCalls = oc.cluster.audit().filter((e) => e.user.username === OPERATOR_USER && e.objectRef?.resource === 'secrets');
    expect(secretCalls.length).toBeGreaterThan(0); // it did check the referenced ones
    expect(new Set(secretCalls.map((e) => e.verb))).toEqual(new Set(['get']));
    expect(new Set(secretCalls.map((e) => e.objectRef?.name))).toEqual(new Set(['repo-password']));
    expect(secretCalls.some((e) => e.objectRef?.name === 'unrelated')).toBe(false);
    const can = (verb: string): string =>
      oc.cluster.kubectl(['auth', 'can-i', verb, 'secrets', '--all-namespaces', `--as=${OPERATOR_USER}`], { allowFail: true }).stdout.trim();
    expect(can('list')).toBe('no');
    expect(can('watch')).toBe('no');
    expect(can('get')).toBe('yes');
    // And the Job pod spec references only the repository's own Secret.
    const job = (await oc.admin.list<Job>(JOBS, 'locked')).items[0]!;
    expect(JSON.stringify(job.spec!.template.spec)).not.toContain('unrelated');
  });
});
