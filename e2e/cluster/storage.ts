// Storage with snapshots: Cairn's minimal CSI driver (e2e/cluster/go/cmd/cairn-csi-hostpath — the one test
// double on the path: volumes are directories, snapshots are copies) run with the real upstream sidecars
// (external-provisioner, csi-snapshotter) and the real snapshot-controller with the VolumeSnapshot CRDs, so
// PVCs are provisioned dynamically and Cairn's Snapshot and Clone copy methods run through the upstream
// controllers. The driver registers itself with the kubelet's plugin watcher. New volumes get a root-owned
// `lost+found`, like a fresh ext4 file system.
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClusterLayout, ClusterPaths } from './cluster-layout.ts';
import { startDaemon, waitUntil, type Daemon } from './daemon.ts';
import type { ClusterPki } from './pki.ts';
import type { ClusterBinaries } from './cluster-binaries.ts';

export const STORAGE_CLASS = 'cairn-hostpath';
export const SNAPSHOT_CLASS = 'cairn-hostpath';

function storageObjects(l: ClusterLayout): string {
  return `apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: ${l.csiDriverName}}
spec:
  attachRequired: false
  podInfoOnMount: false
  fsGroupPolicy: File
  volumeLifecycleModes: [Persistent]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${STORAGE_CLASS}
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ${l.csiDriverName}
parameters: {lostFound: "true"}
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: false
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: ${SNAPSHOT_CLASS}
  annotations: {snapshot.storage.kubernetes.io/is-default-class: "true"}
driver: ${l.csiDriverName}
deletionPolicy: Delete
`;
}

export async function startStorage(
  b: ClusterBinaries, l: ClusterLayout, p: ClusterPaths, pki: ClusterPki,
  kubectl: (args: readonly string[], input?: string) => string,
): Promise<Daemon[]> {
  mkdirSync(p.csiState, { recursive: true });
  mkdirSync(dirname(p.csiSocket), { recursive: true });
  for (const f of readdirSync(b.volumeSnapshotCrds).filter((n) => n.endsWith('.yaml')).sort()) {
    kubectl(['apply', '-f', join(b.volumeSnapshotCrds, f)]);
  }
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/volumesnapshotclasses.snapshot.storage.k8s.io',
    'crd/volumesnapshots.snapshot.storage.k8s.io', 'crd/volumesnapshotcontents.snapshot.storage.k8s.io']);
  const endpoint = `unix://${p.csiSocket}`;
  const driver = startDaemon('csi-driver', b.csiDriver, [
    `--endpoint=${endpoint}`, `--node-id=${l.nodeName}`, `--state-dir=${p.csiState}`, `--driver-name=${l.csiDriverName}`,
    `--plugin-registration-dir=${p.pluginsRegistry}`,
  ], { logDir: p.logs });
  const kc = pki.users.csi.kubeconfig;
  const sidecars = [
    startDaemon('csi-provisioner', b.csiProvisioner, [`--csi-address=${p.csiSocket}`, `--kubeconfig=${kc}`, '--leader-election=false',
      '--extra-create-metadata', '--timeout=60s', '--v=2'], { logDir: p.logs }),
    startDaemon('csi-snapshotter', b.csiSnapshotter, [`--csi-address=${p.csiSocket}`, `--kubeconfig=${kc}`, '--leader-election=false',
      '--timeout=60s', '--v=2'], { logDir: p.logs }),
    startDaemon('snapshot-controller', b.snapshotController, [`--kubeconfig=${kc}`, '--leader-election=false', '--v=2'], { logDir: p.logs }),
  ];
  const all = [driver, ...sidecars];
  kubectl(['apply', '-f', '-'], storageObjects(l));
  // The kubelet lists a CSI driver on its CSINode object once the plugin watcher registered it.
  await waitUntil('CSI driver registered with the kubelet', () =>
    kubectl(['get', 'csinode', l.nodeName, '-o', 'jsonpath={.spec.drivers[*].name}']).split(' ').includes(l.csiDriverName),
  { timeoutMs: 120_000, watch: all, intervalMs: 1000 });
  return all;
}
