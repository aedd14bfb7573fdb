// A repository opened with the wrong password: Ready=False with reason WrongPassword, and the operator does
// not keep launching Jobs against it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { apply, condition, deleteNamespace, getJson, kubectl, listJson, restrictedNamespace, waitFor, type Condition } from './support/e2e-cluster.ts';
import { createBucket, repositoryReady, s3Repository, secrets } from './support/workload.ts';

const NS = 'e2e-password';

describe('wrong repository password', () => {
  beforeAll(async () => {
    restrictedNamespace(NS);
    secrets(NS);
    await createBucket('e2e-password');
    s3Repository(NS, 'right', 'e2e-password', 'shared');
    await repositoryReady(NS, 'right');
  });
  afterAll(() => deleteNamespace(NS));

  it('reports Ready=False/WrongPassword and stops launching Jobs', async () => {
    apply(kubectl(['-n', NS, 'create', 'secret', 'generic', 'wrong-password', '--from-literal=password=not the password', '--dry-run=client', '-o', 'yaml']).stdout, NS);
    s3Repository(NS, 'wrong', 'e2e-password', 'shared', '  initialize: Never\n');
    kubectl(['-n', NS, 'patch', 'backuprepository', 'wrong', '--type=merge', '-p', '{"spec":{"passwordSecretRef":{"name":"wrong-password","key":"password"}}}']);
    const c = await waitFor('Ready=False WrongPassword', () => {
      const r = condition(getJson<{ status?: { conditions?: Condition[] } }>('backuprepository', 'wrong', NS), 'Ready');
      return r?.status === 'False' && r.reason === 'WrongPassword' ? r : undefined;
    }, 300_000);
    expect(c.message ?? '').not.toContain('not the password');
    const jobs = (): number => listJson('jobs', NS, 'cairn.dev/repository=wrong').length;
    const before = jobs();
    await delay(60_000); // the assertion is about what does NOT happen during a minute
    expect(jobs() - before).toBeLessThanOrEqual(1);
  });
});
