// Maintenance ownership across mover Jobs, with the real `cairn` CLI: two maintenance Jobs the operator
// builds for one BackupRepository (different runs, so in a cluster different pods and hostnames) present the
// same client identity, so the second one is not refused as "owned by another client" (exit 22), which is what
// happened when the owner was root@<pod name>. A client with another identity still is refused.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, Json } from '../../operator/src/api/core-types.ts';
import type { BackupRepository } from '../../operator/src/api/resources.ts';
import { buildMoverJob } from '../../operator/src/jobs/mover-job.ts';
import { FILESYSTEM_ROOT, PASSWORD_DIR, repositoryAccess } from '../../operator/src/jobs/repository-access.ts';
import { decodeResult } from '../../mover/src/contract/mover-result.ts';
import { runCairn, TEST_PASSWORD } from '../engine/support/cairn-cli.ts';

const repo: BackupRepository = {
  apiVersion: 'cairn.dev/v1alpha1',
  kind: 'BackupRepository',
  metadata: { name: 'nfs', namespace: 'team-a', uid: 'u1' },
  spec: {
    storage: { filesystem: { claimName: 'share', path: '/' } },
    passwordSecretRef: { name: 'pw', key: 'password' },
    initialize: 'IfMissing',
    creation: { hash: 'HMAC-SHA256-128', encryption: 'AES256-GCM-HMAC-SHA256', compression: 'zstd' },
    maintenance: { schedule: 'H H * * *', timeZone: 'UTC', full: false, suspend: false },
  },
};

function maintenanceJob(run: string): Job {
  return buildMoverJob({
    name: `nfs-maint-${run}`,
    namespace: 'team-a',
    owner: repo,
    purpose: 'maintenance',
    image: 'cairn:test',
    command: ['cairn'],
    invocation: { command: 'maintenance run', full: false },
    access: repositoryAccess(repo),
    overrides: {},
    privileged: false,
  });
}

describe('mover identity', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-identity-'));
    await writeFile(join(dir, 'password'), TEST_PASSWORD);
    const created = await runCairn(['repository', 'create', '--repo', `file://${dir}/repo`]);
    expect(created.exitCode).toBe(0);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Run the Job's container as the kubelet would, with its paths mapped into the temp dir. */
  const runJob = async (job: Job, envOverride: Record<string, string> = {}): Promise<{ exitCode: number | null; code: string }> => {
    const c = (job.spec!.template.spec['containers'] as Json[])[0]!;
    const args = (c['args'] as string[]).map((a) =>
      a
        .replace(`file://${FILESYSTEM_ROOT}`, `file://${dir}/repo`)
        .replace(`${PASSWORD_DIR}/password`, join(dir, 'password'))
        .replace('/dev/termination-log', join(dir, 'result.json')),
    );
    const env = Object.fromEntries((c['env'] as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    const r = await runCairn(args, { password: null, env: { ...env, HOME: dir, ...envOverride } });
    return { exitCode: r.exitCode, code: decodeResult(await readFile(join(dir, 'result.json'), 'utf8')).code };
  };

  it('lets every maintenance Job of a repository run, and still refuses another client', async () => {
    expect(await runJob(maintenanceJob('a'))).toEqual({ exitCode: 0, code: 'OK' });
    expect(await runJob(maintenanceJob('b'))).toEqual({ exitCode: 0, code: 'OK' });
    expect(await runJob(maintenanceJob('c'), { CAIRN_HOSTNAME: 'someone-else' })).toEqual({ exitCode: 22, code: 'MAINTENANCE_OWNED' });
  });
});
