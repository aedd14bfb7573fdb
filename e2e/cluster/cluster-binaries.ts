// Every program the e2e cluster runs, found where e2e/tools/install.sh puts them (Kubernetes, CSI sidecars,
// etcd, helm, kopia, MinIO, Cairn's own Go test programs) or where Debian's packages put them (containerd,
// runc, CNI plugins, iptables/nftables). A missing one is an error naming the command that provides it: the
// end-to-end tests never skip.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKubeTool, kubeBinDir, type KubeToolName } from '../support/kube-tools.ts';
import { findExecutable, findTool, toolsCacheRoot } from '../support/tools.ts';

export interface ClusterBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubelet: string;
  readonly kubeProxy: string;
  readonly kubectl: string;
  readonly helm: string;
  readonly csiProvisioner: string;
  readonly csiSnapshotter: string;
  readonly snapshotController: string;
  readonly volumeSnapshotCrds: string;
  readonly csiDriver: string;
  readonly pause: string;
  readonly promqlCheck: string;
  readonly kopia: string;
  readonly minio: string;
}

const GO_DIR = fileURLToPath(new URL('./go/', import.meta.url));

/** Same key as e2e/tools/install-cluster.sh: a hash of the Go sources, so any change builds afresh. */
export function clusterGoBinDir(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(go|mod|sum|sh)$/.test(e.name)) hash.update(`${path.slice(GO_DIR.length)}\0`).update(readFileSync(path));
    }
  };
  walk(GO_DIR);
  return join(toolsCacheRoot(), `cluster-go-${hash.digest('hex').slice(0, 12)}`, 'bin');
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Debian packages the cluster needs, with a file each provides. */
export const HOST_PACKAGES: readonly (readonly [string, string])[] = [
  ['containerd', '/usr/bin/containerd'], ['containerd', '/usr/bin/ctr'], ['containerd', '/usr/bin/containerd-shim-runc-v2'],
  ['runc', '/usr/sbin/runc'], ['containernetworking-plugins', '/usr/lib/cni/bridge'], ['containernetworking-plugins', '/usr/lib/cni/host-local'],
  ['containernetworking-plugins', '/usr/lib/cni/loopback'], ['nftables', '/usr/sbin/nft'], ['iptables', '/usr/sbin/iptables'],
  ['iproute2', '/usr/sbin/ip'], ['openssl', '/usr/bin/openssl'], ['mount', '/usr/bin/umount'],
];

export function findClusterBinaries(): ClusterBinaries {
  const missing: string[] = [];
  const kube = (name: KubeToolName): string => {
    const found = findKubeTool(name);
    if (found === undefined) missing.push(`${name} (bash e2e/tools/install.sh kube → ${kubeBinDir()})`);
    return found ?? '';
  };
  const goDir = clusterGoBinDir();
  const own = (name: string): string => {
    const path = join(goDir, name);
    if (!executable(path)) missing.push(`${name} (bash e2e/tools/install.sh cluster → ${goDir})`);
    return path;
  };
  const tool = (name: 'kopia' | 'minio'): string => {
    const found = findTool(name);
    if (found === undefined) missing.push(`${name} (bash e2e/tools/install.sh ${name})`);
    return found ?? '';
  };
  for (const [pkg, file] of HOST_PACKAGES) {
    if (findExecutable(file, file.split('/').pop()!) === undefined) missing.push(`${file} (apt-get install ${pkg})`);
  }
  const crds = join(kubeBinDir(), '..', 'crds', 'volumesnapshot');
  if (!existsSync(join(crds, 'snapshot.storage.k8s.io_volumesnapshots.yaml'))) missing.push(`VolumeSnapshot CRDs (bash e2e/tools/install.sh kube → ${crds})`);
  const b: ClusterBinaries = {
    etcd: kube('etcd'), kubeApiserver: kube('kube-apiserver'), kubeControllerManager: kube('kube-controller-manager'),
    kubeScheduler: kube('kube-scheduler'), kubelet: kube('kubelet'), kubeProxy: kube('kube-proxy'), kubectl: kube('kubectl'),
    helm: kube('helm'), csiProvisioner: kube('csi-provisioner'), csiSnapshotter: kube('csi-snapshotter'),
    snapshotController: kube('snapshot-controller'), volumeSnapshotCrds: crds,
    csiDriver: own('cairn-csi-hostpath'), pause: own('pause'), promqlCheck: own('promql-check'),
    kopia: tool('kopia'), minio: tool('minio'),
  };
  if (missing.length > 0) throw new Error(`the e2e cluster needs components that are not installed:\n  ${missing.join('\n  ')}`);
  return b;
}
