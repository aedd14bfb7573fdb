// Where the e2e cluster lives on this machine: one base directory for state that must survive nothing
// (kubelet, containerd, CSI volumes, logs), one run directory for sockets, fixed addresses on a bridge the
// cluster creates itself, and the names of everything teardown must remove. Everything the cluster binds
// is on loopback or on that bridge; pods get routes to the pod and service ranges only (no default route,
// no masquerade, no DNS), so nothing in the cluster can reach beyond this machine.
import { join } from 'node:path';

export interface ClusterLayout {
  /** Persistent-ish state: kubelet root, containerd root, CSI volumes, PKI, logs. */
  readonly base: string;
  /** Sockets and runtime state (containerd state, CSI socket). */
  readonly run: string;
  readonly nodeName: string;
  /** The bridge the CNI plugin attaches pods to; created (and deleted) by the cluster. */
  readonly bridge: string;
  /** Host address on the bridge: the API server, the kubelet and MinIO listen here. */
  readonly hostIp: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  /** First address of the service range: the `kubernetes` Service. */
  readonly apiServiceIp: string;
  readonly apiPort: number;
  readonly kubeletPort: number;
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
  /** cgroup (in every v1 hierarchy) under which the kubelet puts all pods. */
  readonly cgroupRoot: string;
  /** The CNI network name (kube-proxy and teardown use it too). */
  readonly cniNetwork: string;
  readonly csiDriverName: string;
}

export const DEFAULT_LAYOUT: ClusterLayout = {
  base: process.env['CAIRN_E2E_BASE'] ?? '/var/lib/cairn-e2e',
  run: '/run/cairn-e2e',
  nodeName: 'cairn-e2e',
  bridge: 'cairn0',
  hostIp: '10.244.0.1',
  podCidr: '10.244.0.0/24',
  serviceCidr: '10.96.0.0/24',
  apiServiceIp: '10.96.0.1',
  apiPort: 6443,
  kubeletPort: 10250,
  etcdClientPort: 23790,
  etcdPeerPort: 23800,
  cgroupRoot: '/cairn-e2e',
  cniNetwork: 'cairn-e2e',
  csiDriverName: 'hostpath.csi.cairn.dev',
};

/** Paths derived from a layout, in one place so start-up and teardown agree. */
export function paths(l: ClusterLayout) {
  return {
    pki: join(l.base, 'pki'),
    logs: join(l.base, 'logs'),
    etcdData: join(l.base, 'etcd'),
    kubeletRoot: join(l.base, 'kubelet'),
    pluginsRegistry: join(l.base, 'kubelet', 'plugins_registry'),
    containerdRoot: join(l.base, 'containerd'),
    containerdState: join(l.run, 'containerd'),
    containerdSocket: join(l.run, 'containerd.sock'),
    containerdConfig: join(l.base, 'containerd.toml'),
    cniConfDir: join(l.base, 'cni', 'net.d'),
    cniIpamDir: join(l.base, 'cni', 'ipam'),
    csiState: join(l.base, 'csi'),
    csiSocket: join(l.run, 'csi', 'csi.sock'),
    resolvConf: join(l.base, 'resolv.conf'),
    images: join(l.base, 'images'),
    kubeconfigs: join(l.base, 'kubeconfig'),
    adminKubeconfig: join(l.base, 'kubeconfig', 'admin.kubeconfig'),
    lock: join(l.run, 'lock'),
  };
}

export type ClusterPaths = ReturnType<typeof paths>;
