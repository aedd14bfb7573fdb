// The CRDs against a real kube-apiserver: they install, every sample in config/samples applies with
// kubectl, and invalid resources are rejected by the API server with messages naming the field.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeCluster } from '../support/kube-cluster.ts';
import { startKubeCluster } from '../support/kube-cluster.ts';
import { requireKubeTools } from '../support/kube-tools.ts';
import { REPO_ROOT, installCrds } from '../support/kube-fixtures.ts';

const tools = requireKubeTools();

describe.skipIf(tools === undefined)('CRDs on a real API server', () => {
  let cluster: KubeCluster;

  beforeAll(async () => {
    cluster = await startKubeCluster(tools!);
    installCrds(cluster);
    cluster.kubectl(['create', 'namespace', 'samples']);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const apply = (yaml: string, ns = 'samples'): { code: number; stderr: string } =>
    cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: yaml, allowFail: true });

  it('applies every sample in config/samples', () => {
    const dir = join(REPO_ROOT, 'config', 'samples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    // quickstart.yaml holds a Pod; this API server runs no controller-manager to create the namespace's
    // default ServiceAccount, which admission requires.
    cluster.kubectl(['create', 'serviceaccount', 'default', '-n', 'samples'], { allowFail: true });
    for (const f of files) {
      const r = cluster.kubectl(['apply', '-n', 'samples', '-f', join(dir, f)], { allowFail: true });
      expect(r.stderr, f).toBe('');
      expect(r.code, f).toBe(0);
    }
    const got = cluster.kubectl(['get', 'snapshotschedules', '-n', 'samples', '-o', 'name']).stdout;
    expect(got).toContain('snapshotschedule.cairn.dev/postgres-hourly');
  });

  it('fills in defaults', () => {
    const out = JSON.parse(cluster.kubectl(['get', 'snapshotschedule', 'nightly', '-n', 'samples', '-o', 'json']).stdout) as {
      spec: Record<string, unknown>;
    };
    expect(out.spec).toMatchObject({ timeZone: 'UTC', suspend: false, concurrencyPolicy: 'Forbid', sourcePathPrefix: '/pvc' });
    const repo = JSON.parse(cluster.kubectl(['get', 'backuprepository', 'nfs', '-n', 'samples', '-o', 'json']).stdout) as {
      spec: { maintenance: Record<string, unknown>; initialize: string };
    };
    expect(repo.spec.maintenance).toMatchObject({ schedule: 'H H * * *', full: true });
    expect(repo.spec.initialize).toBe('IfMissing');
  });

  const schedule = (extra: string): string => `apiVersion: cairn.dev/v1alpha1
kind: SnapshotSchedule
metadata: {name: bad}
spec:
  repository: s3
  sources: {pvcNames: [a]}
${extra}`;

  it('rejects a bad cron expression naming spec.schedule', () => {
    const r = apply(schedule('  schedule: "every hour"'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.schedule');
    expect(r.stderr).toMatch(/5 cron fields within range/);
    const six = apply(schedule('  schedule: "0 0 * * * *"'));
    expect(six.stderr).toContain('spec.schedule');
    for (const bad of ['61 * * * *', '0 24 * * *', '0 0 32 * *', '0 0 * 13 *', '0 0 * * 8']) {
      const r2 = apply(schedule(`  schedule: "${bad}"`));
      expect(r2.code, bad).not.toBe(0);
      expect(r2.stderr, bad).toMatch(/spec\.schedule.*within range/);
    }
    expect(apply(schedule('  schedule: "H(0-29)/10 H(1-4) * jan-mar mon-fri"')).code).toBe(0);
  });

  it('rejects a repository with two backends or none', () => {
    const two = apply(`apiVersion: cairn.dev/v1alpha1
kind: BackupRepository
metadata: {name: two}
spec:
  storage:
    s3: {bucket: abc, credentialsSecretRef: {name: c}}
    filesystem: {claimName: x}
  passwordSecretRef: {name: p}
`);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toContain('spec.storage');
    expect(two.stderr).toContain('exactly one storage backend');
    const none = apply(`apiVersion: cairn.dev/v1alpha1
kind: BackupRepository
metadata: {name: none}
spec:
  storage: {}
  passwordSecretRef: {name: p}
`);
    expect(none.stderr).toContain('exactly one storage backend');
  });

  it('rejects a repository without a password reference', () => {
    const r = apply(`apiVersion: cairn.dev/v1alpha1
kind: BackupRepository
metadata: {name: nopass}
spec:
  storage:
    filesystem: {claimName: x}
`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.passwordSecretRef');
    expect(r.stderr).toMatch(/Required value/);
  });

  it('rejects edits of a Restore spec and of repository creation options', () => {
    const restore = (pvc: string): string => `apiVersion: cairn.dev/v1alpha1
kind: Restore
metadata: {name: immutable}
spec:
  repository: s3
  source: {snapshotId: abc123}
  target: {existingPVC: {name: ${pvc}}}
`;
    expect(apply(restore('one')).code).toBe(0);
    const edit = apply(restore('two'));
    expect(edit.code).not.toBe(0);
    expect(edit.stderr).toContain('spec: Invalid value');
    expect(edit.stderr).toContain('spec is immutable');
    const patch = cluster.kubectl(
      ['patch', 'backuprepository', 'nfs', '-n', 'samples', '--type=merge', '-p', '{"spec":{"creation":{"hash":"BLAKE3-256"}}}'],
      { allowFail: true },
    );
    expect(patch.code).not.toBe(0);
    expect(patch.stderr).toContain('spec.creation');
    expect(patch.stderr).toContain('immutable');
  });

  it('rejects a Restore with two sources or two targets', () => {
    const r = apply(`apiVersion: cairn.dev/v1alpha1
kind: Restore
metadata: {name: twosrc}
spec:
  repository: s3
  source: {snapshotId: abc, pvc: {name: x}}
  target: {existingPVC: {name: a}, newPVC: {name: b, capacity: 1Gi}}
`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.source');
    expect(r.stderr).toContain('spec.target');
  });

  it('shows printer columns', () => {
    const out = cluster.kubectl(['get', 'snapshotschedules', '-n', 'samples']).stdout;
    expect(out.split('\n')[0]).toMatch(/NAME\s+REPOSITORY\s+SCHEDULE\s+STATE\s+LAST SNAPSHOT\s+LAST SUCCESS\s+NEXT RUN\s+AGE/);
  });
});
