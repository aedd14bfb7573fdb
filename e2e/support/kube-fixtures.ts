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
  const files = readdirSync(dir).filter((x) => x.startsWith('cairn.dev_') && x.endsWith('.yaml'));
  for (const f of files) cluster.kubectl(['apply', '-f', join(dir, f)]);
  cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...files.flatMap((f) => ['-f', join(dir, f)])]);
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
  cluster.kubectl(['apply', '-k', join(REPO_ROOT, 'config', 'rbac')]);
}

/** A minimal snapshot.storage.k8s.io/v1 VolumeSnapshot CRD (schema-less), standing in for external-snapshotter's. */
export function installVolumeSnapshotCrd(cluster: KubeCluster): void {
  const yaml = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: volumesnapshots.snapshot.storage.k8s.io
  annotations: {api-approved.kubernetes.io: "https://github.com/kubernetes-csi/external-snapshotter/pull/419"}
spec:
  group: snapshot.storage.k8s.io
  scope: Namespaced
  names: {kind: VolumeSnapshot, plural: volumesnapshots, singular: volumesnapshot, listKind: VolumeSnapshotList}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;
  cluster.kubectl(['apply', '-f', '-'], { input: yaml });
  cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/volumesnapshots.snapshot.storage.k8s.io']);
}
