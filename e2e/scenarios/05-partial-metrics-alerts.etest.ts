// Health as Prometheus sees it: /metrics of the leading operator shows a schedule's last success; a file the
// mover cannot read makes the run partial in the schedule's conditions, the Snapshot record and the metrics;
// and every expression of the shipped alert rules (config/prometheus and the Helm chart's PrometheusRule)
// parses and evaluates in Prometheus's own engine against a real scrape, with the partial-run alert firing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, condition, deleteNamespace, e2e, getJson, kubectl, metricValue, restrictedNamespace, scrapeMetrics, waitFor, type Condition } from './support/e2e-cluster.ts';
import { createBucket, repositoryReady, s3Repository, secrets, snapshotRecords, startApp, trigger } from './support/workload.ts';

const NS = 'e2e-health';
const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface RuleResult { group: string; alert?: string; record?: string; expr: string; error?: string; samples: { metric: Record<string, string>; value: string }[] }

function evaluateRules(rulesFile: string, scrape: string): RuleResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-promql-'));
  try {
    writeFileSync(join(dir, 'scrape.txt'), scrape);
    const r = spawnSync(e2e().promqlCheck, ['--rules', rulesFile, '--metrics', join(dir, 'scrape.txt')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`promql-check ${rulesFile} exited ${r.status}: ${r.stderr}\n${r.stdout}`);
    return JSON.parse(r.stdout) as RuleResult[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('partial runs, metrics and alerts', () => {
  beforeAll(async () => {
    restrictedNamespace(NS);
    secrets(NS);
    await createBucket('e2e-health');
    await startApp(NS, 'data', 200, 2);
    s3Repository(NS, 'minio', 'e2e-health', 'health');
    await repositoryReady(NS, 'minio');
    apply(`apiVersion: cairn.dev/v1alpha1
kind: SnapshotSchedule
metadata: {name: data}
spec: {repository: minio, sources: {pvcNames: [data]}, schedule: "0 0 1 1 *", copyMethod: Direct}
`, NS);
  });
  afterAll(() => deleteNamespace(NS));

  it('/metrics shows the schedule\'s last success time', async () => {
    await trigger(NS, 'data', 'ok-1');
    const value = await waitFor('cairn_schedule_last_success_timestamp_seconds for the schedule', async () =>
      metricValue(await scrapeMetrics(), 'cairn_schedule_last_success_timestamp_seconds', { namespace: NS, schedule: 'data' }), 60_000);
    expect(value).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('a file the mover cannot read makes the run partial in conditions, the Snapshot record and metrics', async () => {
    kubectl(['-n', NS, 'exec', 'app', '--', 'node', '-e', "require('fs').chmodSync('/data/dir-01/file-00001.dat', 0)"]);
    await trigger(NS, 'data', 'partial-1');
    const sched = getJson<{ status?: { conditions?: Condition[] } }>('snapshotschedule', 'data', NS);
    const c = condition(sched, 'LastRunSucceeded');
    expect(c).toMatchObject({ status: 'False', reason: 'PartialSnapshot' });
    expect(c?.message).toContain('file-00001.dat');
    const newest = snapshotRecords(NS, 'data').at(-1)!;
    expect(newest.spec).toMatchObject({ partial: true, skippedCount: 1 });
    const scrape = await waitFor('cairn_schedule_last_run_partial = 1', async () => {
      const s = await scrapeMetrics();
      return metricValue(s, 'cairn_schedule_last_run_partial', { namespace: NS, schedule: 'data' }) === 1 ? s : undefined;
    }, 60_000);
    expect(metricValue(scrape, 'cairn_schedule_last_skipped_entries', { namespace: NS, schedule: 'data' })).toBe(1);

    // Every shipped rule parses and evaluates against this scrape; the partial-run alert is true for this schedule.
    const dir = mkdtempSync(join(tmpdir(), 'cairn-rules-'));
    try {
      const chartRules = join(dir, 'chart-rules.yaml');
      writeFileSync(chartRules, execFileSync(e2e().helm, ['template', 'cairn', `${REPO}/charts/cairn`, '--show-only', 'templates/prometheusrule.yaml',
        '--set', 'metrics.prometheusRule.enabled=true'], { encoding: 'utf8' }));
      for (const file of [join(REPO, 'config/prometheus/rules.yaml'), chartRules]) {
        const results = evaluateRules(file, scrape);
        expect(results.length).toBeGreaterThanOrEqual(5);
        expect(results.filter((r) => r.error !== undefined)).toEqual([]);
        const partial = results.find((r) => r.alert === 'CairnSchedulePartial');
        expect(partial?.samples.some((s) => s.metric['namespace'] === NS && s.metric['schedule'] === 'data')).toBe(true);
        const failing = results.find((r) => r.alert === 'CairnScheduleFailing');
        expect(failing?.samples.some((s) => s.metric['namespace'] === NS)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
