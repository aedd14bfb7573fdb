// Scheduled maintenance on a real node runs again and again under one owner: every mover of a repository
// presents the same client identity, so the second run is not refused as "owned by another client", and
// `kopia maintenance info` names that one owner.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, deleteNamespace, e2e, metricValue, restrictedNamespace, scrapeMetrics, waitFor } from './support/e2e-cluster.ts';
import { PASSWORD, createBucket, repositoryReady, s3Repository, secrets, startApp, trigger } from './support/workload.ts';

const NS = 'e2e-maint';

describe('scheduled maintenance', () => {
  beforeAll(async () => {
    restrictedNamespace(NS);
    secrets(NS);
    await createBucket('e2e-maint');
    await startApp(NS, 'data', 100, 1);
    s3Repository(NS, 'minio', 'e2e-maint', 'm', '  maintenance: {schedule: "* * * * *", timeZone: UTC, full: true}\n');
    await repositoryReady(NS, 'minio');
    apply(`apiVersion: cairn.dev/v1alpha1
kind: SnapshotSchedule
metadata: {name: data}
spec: {repository: minio, sources: {pvcNames: [data]}, schedule: "0 0 1 1 *", copyMethod: Direct, retention: {keepLatest: 1}}
`, NS);
    await trigger(NS, 'data', 'm-1');
  });
  afterAll(() => deleteNamespace(NS));

  it('runs at least twice, succeeding each time, with one owner', async () => {
    await waitFor('two successful maintenance runs', async () => {
      const s = await scrapeMetrics();
      const ok = metricValue(s, 'cairn_repository_maintenance_runs_total', { namespace: NS, repository: 'minio', result: 'Succeeded' }) ?? 0;
      const failed = metricValue(s, 'cairn_repository_maintenance_runs_total', { namespace: NS, repository: 'minio', result: 'Failed' }) ?? 0;
      if (failed > 0) throw new Error(`a maintenance run failed (${failed})`);
      return ok >= 2;
    }, 600_000, 5000);
    const info = e2e();
    const dir = mkdtempSync(join(tmpdir(), 'cairn-e2e-kopia-'));
    try {
      const env = { ...process.env, KOPIA_PASSWORD: PASSWORD, KOPIA_CHECK_FOR_UPDATES: 'false', HOME: dir };
      const kopia = (args: string[]): string => execFileSync(info.kopia, [`--config-file=${join(dir, 'kopia.config')}`, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      kopia(['repository', 'connect', 's3', '--bucket=e2e-maint', '--prefix=m/', `--endpoint=${new URL(info.minio.endpoint).host}`, '--disable-tls',
        `--access-key=${info.minio.accessKey}`, `--secret-access-key=${info.minio.secretKey}`, `--region=${info.minio.region}`, `--cache-directory=${join(dir, 'cache')}`]);
      // kopia prints the parameters at the top level and the schedule (with the runs) under "schedule".
      const maint = JSON.parse(kopia(['maintenance', 'info', '--json'])) as { owner?: string; schedule?: { runs?: Record<string, { success?: boolean }[]> } };
      expect(maint.owner).toBe(`cairn@minio.${NS}`);
      const runs = Object.values(maint.schedule?.runs ?? {}).flat();
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.every((r) => r.success === true)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
