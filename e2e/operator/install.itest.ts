// The install paths against a real API server: `kubectl apply -k config/default` and the Helm chart
// (rendered with the pinned helm, values checked by values.schema.json) pass server-side validation.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeCluster } from '../support/kube-cluster.ts';
import { startKubeCluster } from '../support/kube-cluster.ts';
import { REPO_ROOT } from '../support/kube-fixtures.ts';
import { findKubeTool, requireKubeTools } from '../support/kube-tools.ts';

const tools = requireKubeTools();
const helm = findKubeTool('helm');
if (helm === undefined && process.env['CAIRN_REQUIRE_TOOLS'] === '1') {
  throw new Error('helm required (CAIRN_REQUIRE_TOOLS=1); run `bash e2e/tools/install-kube.sh`');
}

describe.skipIf(tools === undefined)('install manifests', () => {
  let cluster: KubeCluster;
  beforeAll(async () => {
    cluster = await startKubeCluster(tools!);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('applies config/default with kustomize', () => {
    const r = cluster.kubectl(['apply', '-k', join(REPO_ROOT, 'config', 'default')], { allowFail: true });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/snapshotschedules.cairn.dev');
    expect(r.stdout).toContain('deployment.apps/cairn-operator created');
    expect(r.stdout).toContain('clusterrole.rbac.authorization.k8s.io/cairn-operator created');
  });

  const template = (args: string[]): { code: number; stdout: string; stderr: string } => {
    const r = spawnSync(helm!, ['template', 'cairn', join(REPO_ROOT, 'charts', 'cairn'), '--namespace', 'cairn', '--include-crds', ...args], { encoding: 'utf8' });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  it.skipIf(helm === undefined)('renders the Helm chart into objects the API server accepts', () => {
    const r = template(['--set', 'metrics.serviceMonitor.enabled=false']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    cluster.kubectl(['create', 'namespace', 'cairn'], { allowFail: true });
    // CRDs first (the chart ships them in crds/), then everything else server-side dry-run.
    const applied = cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: r.stdout, allowFail: true });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(/deployment.apps\/cairn serverside-applied/);
    const role = JSON.parse(cluster.kubectl(['get', 'clusterrole', 'cairn', '-o', 'json']).stdout) as { rules: { resources: string[]; verbs: string[] }[] };
    const secrets = role.rules.filter((x) => x.resources.includes('secrets'));
    expect(secrets).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
  });

  it.skipIf(helm === undefined)('lints, and renders the alert rules without evaluating their templates', () => {
    const lint = spawnSync(helm!, ['lint', '--strict', join(REPO_ROOT, 'charts', 'cairn')], { encoding: 'utf8' });
    expect(lint.stdout).toContain('0 chart(s) failed');
    const r = template(['--set', 'metrics.prometheusRule.enabled=true,metrics.serviceMonitor.enabled=true', '--show-only', 'templates/prometheusrule.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('alert: CairnRepositoryNotReady');
    expect(r.stdout).toContain('{{ $labels.namespace }}');
  });

  it.skipIf(helm === undefined)('passes mover pull secrets to the operator, which movers run in tenant namespaces', () => {
    const r = template(['--set', 'mover.imagePullSecrets[0].name=regcred,mover.imagePullSecrets[1].name=mirror', '--show-only', 'templates/deployment.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/- name: CAIRN_MOVER_IMAGE_PULL_SECRETS\n\s+value: "regcred,mirror"/);
    expect(template(['--show-only', 'templates/deployment.yaml']).stdout).not.toContain('CAIRN_MOVER_IMAGE_PULL_SECRETS');
    const bad = template(['--set', 'mover.imagePullSecrets[0].nme=x']);
    expect(bad.code).not.toBe(0);
  });

  it.skipIf(helm === undefined)('rejects values that break values.schema.json', () => {
    const r = template(['--set', 'replicaCount=0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('replicaCount');
    const typo = template(['--set', 'imagee.tag=x']);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/imagee/);
  });
});
