// Installing Cairn: the Helm chart with the locally built image (done by the global setup, as the README's
// Kubernetes section says) and `kubectl apply -k config/default` both give a Ready operator that holds the
// leader Lease. The operator reaches the API server from its pod through the `kubernetes` Service.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { helmInstallArgs } from '../cluster/install-cairn.ts';
import { e2e, getJson, kubectl, listJson, waitFor } from './support/e2e-cluster.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface Lease { spec?: { holderIdentity?: string; renewTime?: string } }
interface Deployment { status?: { readyReplicas?: number; replicas?: number } }
interface Pod { metadata: { name: string }; status?: { phase?: string } }

async function operatorLeads(ns: string, deployment: string): Promise<string> {
  await waitFor(`deployment ${ns}/${deployment} ready`, () => {
    const d = getJson<Deployment>('deployment', deployment, ns);
    return d?.status?.readyReplicas !== undefined && d.status.readyReplicas === d.status.replicas;
  }, 300_000);
  const pods = listJson<Pod>('pods', ns, 'app.kubernetes.io/name=cairn').filter((p) => p.status?.phase === 'Running').map((p) => p.metadata.name);
  return waitFor('an operator pod to hold the Lease', () => {
    const holder = getJson<Lease>('lease', 'cairn-operator', ns)?.spec?.holderIdentity;
    return holder !== undefined && pods.includes(holder) ? holder : undefined;
  }, 120_000);
}

describe('install', () => {
  it('helm install: the operator becomes Ready and one replica holds the Lease', async () => {
    const info = e2e();
    const holder = await operatorLeads(info.operatorNamespace, 'cairn');
    expect(holder).toMatch(/^cairn-/);
    expect(kubectl(['get', 'crd', 'backuprepositories.cairn.dev']).code).toBe(0);
  });

  it('kubectl apply -k config/default gives the same result, then the Helm install is restored', async () => {
    const info = e2e();
    execFileSync(info.helm, ['--kubeconfig', info.kubeconfig, 'uninstall', 'cairn', '-n', info.operatorNamespace, '--wait'], { stdio: 'pipe' });
    await waitFor('the Helm release pods to go', () => listJson<Pod>('pods', info.operatorNamespace, 'app.kubernetes.io/name=cairn').length === 0, 120_000);
    kubectl(['delete', 'lease', 'cairn-operator', '-n', info.operatorNamespace, '--ignore-not-found']);
    kubectl(['apply', '-k', `${REPO}/config/default`]);
    try {
      const holder = await operatorLeads('cairn-system', 'cairn-operator');
      expect(holder).toMatch(/^cairn-operator-/);
    } finally {
      kubectl(['delete', '-k', `${REPO}/config/default`, '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
      execFileSync(info.helm, helmInstallArgs(info.kubeconfig, info.image), { stdio: 'pipe' });
    }
    expect(await operatorLeads(info.operatorNamespace, 'cairn')).toMatch(/^cairn-/);
  });
});
