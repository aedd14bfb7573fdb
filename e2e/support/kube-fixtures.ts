// Fixtures shared by the operator integration tests: installing the CRDs (and a minimal VolumeSnapshot
// CRD), namespaces with the default ServiceAccount (no controller-manager creates it), and the RBAC of
// config/rbac applied for the operator's identity.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeCluster } from './kube-cluster.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The identity the operator runs as in tests: its ServiceAccount, as RBAC sees it. */
export const OPERATOR_NAMESPACE = 'cairn-system';
export const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:cairn-operator`;
export const OPERATOR_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${OPERATOR_NAMESPACE}`, 'system:authenticated'];

export function installCrds(cluster: KubeCluster): void {
  const dir = join(REPO_ROOT, 'crds');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) cluster.kubectl(['apply', '-f', join(dir, f)]);
  cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', dir]);
}

export function createNamespace(cluster: KubeCluster, name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): void {
  const yaml = [
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    `  name: ${name}`,
    `  labels: ${JSON.stringify(labels)}`,
    `  annotations: ${JSON.stringify(annotations)}`,
    '---',
    'apiVersion: v1',
    'kind: ServiceAccount',
    'metadata:',
    '  name: default',
    `  namespace: ${name}`,
    '',
  ].join('\n');
  cluster.kubectl(['apply', '-f', '-'], { input: yaml });
}

/** config/rbac for the operator ServiceAccount in OPERATOR_NAMESPACE. */
export function installOperatorRbac(cluster: KubeCluster): void {
  createNamespace(cluster, OPERATOR_NAMESPACE);
  cluster.kubectl(['apply', '-f', join(REPO_ROOT, 'config', 'rbac')]);
}
