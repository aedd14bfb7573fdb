import { describe, expect, it } from 'vitest';
import type { BackupRepository } from '../api/resources.ts';
import type { Json } from '../api/core-types.ts';
import { buildMoverJob } from './mover-job.ts';
import { repositoryAccess } from './repository-access.ts';

const repo: BackupRepository = {
  apiVersion: 'cairn.dev/v1alpha1',
  kind: 'BackupRepository',
  metadata: { name: 'r', namespace: 'app', uid: 'u1' },
  spec: {
    storage: {
      s3: {
        endpoint: 'https://minio:9000',
        bucket: 'backups',
        prefix: 'team/a',
        region: 'eu-1',
        credentialsSecretRef: { name: 's3-creds' },
        caBundle: { configMapName: 'ca', key: 'ca.crt' },
      },
    },
    passwordSecretRef: { name: 'repo-pass', key: 'password' },
    initialize: 'IfMissing',
    creation: { hash: 'HMAC-SHA256-128', encryption: 'AES256-GCM-HMAC-SHA256', compression: 'zstd' },
    maintenance: { schedule: 'H H * * *', timeZone: 'UTC', full: true, suspend: false },
  },
};

function build(privileged = false, extra: Partial<Parameters<typeof buildMoverJob>[0]> = {}): { job: ReturnType<typeof buildMoverJob>; pod: Json; container: Json } {
  const job = buildMoverJob({
    name: 'j',
    namespace: 'app',
    owner: { apiVersion: 'cairn.dev/v1alpha1', kind: 'SnapshotSchedule', metadata: { name: 's', uid: 'u2' } },
    purpose: 'snapshot',
    image: 'cairn:test',
    command: ['cairn'],
    invocation: { command: 'snapshot create', path: '/data', source: 'app@cairn:/pvc/data' },
    access: repositoryAccess(repo),
    data: { claimName: 'data', readOnly: true },
    overrides: {},
    privileged,
    ...extra,
  });
  const pod = job.spec!.template.spec;
  return { job, pod, container: (pod['containers'] as Json[])[0]! };
}

describe('buildMoverJob', () => {
  it('meets the restricted profile by default', () => {
    const { pod, container } = build();
    expect(pod['automountServiceAccountToken']).toBe(false);
    expect(pod['securityContext']).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container['securityContext']).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    for (const v of pod['volumes'] as Json[]) {
      expect(Object.keys(v).filter((k) => k !== 'name')).toEqual([
        expect.stringMatching(/^(secret|configMap|emptyDir|persistentVolumeClaim|ephemeral)$/),
      ]);
    }
  });

  it('passes secrets as files, never as arguments or env', () => {
    const { container } = build();
    const args = container['args'] as string[];
    expect(args).toContain('--password-file');
    expect(args[args.indexOf('--password-file') + 1]).toBe('/etc/cairn/repository/password');
    expect(args).toContain('--s3-credentials-dir');
    expect(args.join(' ')).toContain('s3://backups/team/a?endpoint=https%3A%2F%2Fminio%3A9000&region=eu-1&ca=%2Fetc%2Fcairn%2Fca%2Fca.pem');
    expect(JSON.stringify(container['env'])).not.toMatch(/secret/i);
    expect(container['terminationMessagePolicy']).toBe('File');
    expect(args.slice(args.indexOf('--result-file'), args.indexOf('--result-file') + 2)).toEqual(['--result-file', '/dev/termination-log']);
    // the cache volume is mounted at /cache and every cairn step uses it
    expect(args.slice(args.indexOf('--cache-dir'), args.indexOf('--cache-dir') + 2)).toEqual(['--cache-dir', '/cache']);
  });

  it('presents the same client identity in every Job of a repository (maintenance ownership is keyed by it)', () => {
    const { container } = build();
    expect(container['env']).toEqual(expect.arrayContaining([{ name: 'CAIRN_USER', value: 'cairn' }, { name: 'CAIRN_HOSTNAME', value: 'r.app' }]));
    expect((container['args'] as string[]).join(' ')).toContain('--source app@cairn:/pvc/data');
  });

  it('sets deadlines, backoff and a controller owner reference', () => {
    const { job } = build();
    expect(job.spec!['activeDeadlineSeconds']).toBeGreaterThan(0);
    expect(job.spec!['backoffLimit']).toBe(2);
    expect(job.metadata.ownerReferences![0]).toMatchObject({ kind: 'SnapshotSchedule', uid: 'u2', controller: true });
  });

  it('retries pods the cluster disrupted, and fails at once on codes a retry cannot fix (a deleted pod included)', () => {
    const rules = (build().job.spec!['podFailurePolicy'] as { rules: Json[] }).rules;
    expect(rules[0]).toEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    expect(rules[1]).toMatchObject({ action: 'FailJob', onExitCodes: { containerName: 'mover', operator: 'In' } });
    const codes = (rules[1]!['onExitCodes'] as { values: number[] }).values;
    expect(codes).toEqual(expect.arrayContaining([2, 3, 10, 13, 25, 130])); // 13, 25: permission denied on storage or target
    expect(codes).not.toContain(16); // Unreachable: worth a retry
  });

  it('runs as root with file capabilities only when privileged', () => {
    const { pod, container } = build(true);
    expect(pod['securityContext']).toMatchObject({ runAsUser: 0 });
    expect((container['securityContext'] as Json)['capabilities']).toMatchObject({ add: expect.arrayContaining(['DAC_OVERRIDE', 'CHOWN']) });
    expect(pod['securityContext']).not.toHaveProperty('fsGroup');
  });

  it('adds pull secrets, pod labels and annotations without letting them replace Cairn\'s labels', () => {
    const { job, pod } = build(false, {
      imagePullSecrets: ['regcred'],
      overrides: {
        imagePullSecrets: [{ name: 'team-regcred' }, { name: 'regcred' }],
        podLabels: { 'app.kubernetes.io/managed-by': 'someone-else', team: 'a' },
        podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      },
    });
    expect(pod['imagePullSecrets']).toEqual([{ name: 'regcred' }, { name: 'team-regcred' }]);
    const meta = job.spec!.template.metadata!;
    expect(meta.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'cairn-operator', team: 'a' });
    expect(meta.annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
    expect(job.metadata.labels?.['team']).toBeUndefined();
    expect(build().pod).not.toHaveProperty('imagePullSecrets');
  });
});
