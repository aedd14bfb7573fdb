// containerd 1.6 and runc from Debian, configured for this cluster only: its own root, state, socket and runc
// root; the CRI plugin with the locally built pause image as the sandbox image; the CNI bridge plugin from
// Debian on the cluster's bridge with no masquerade and routes to the pod and service ranges only; network
// namespaces under the state dir. Two settings this machine needs (measured): `restrict_oom_score_adj`
// (no CAP_SYS_RESOURCE here, so runc cannot give the pause container oom_score_adj -998 and fails with
// "can't get final child's PID from pipe: EOF") and cgroupfs cgroups (the host runs no systemd).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterLayout, ClusterPaths } from './cluster-layout.ts';
import { startDaemon, waitUntil, type Daemon } from './daemon.ts';

export const PAUSE_IMAGE = 'cairn.dev/pause:e2e';
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p)) ?? 'runc';
const CNI_BIN_DIR = '/usr/lib/cni';

export function runcRoot(l: ClusterLayout): string {
  return join(l.run, 'runc');
}

function containerdConfig(l: ClusterLayout, p: ClusterPaths): string {
  return `version = 2
root = "${p.containerdRoot}"
state = "${p.containerdState}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "${p.containerdSocket}"

[ttrpc]
  address = "${p.containerdSocket}.ttrpc"

[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(p.containerdRoot, 'opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "${RUNC}"
        Root = "${runcRoot(l)}"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${p.cniConfDir}"
    max_conf_num = 1
`;
}

/** The pod network: Debian's bridge plugin, host-local addresses, no masquerade, no default route. */
function cniConfig(l: ClusterLayout, p: ClusterPaths): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: l.cniNetwork,
    plugins: [{
      type: 'bridge', bridge: l.bridge, isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: {
        type: 'host-local', dataDir: p.cniIpamDir,
        ranges: [[{ subnet: l.podCidr, gateway: l.hostIp }]],
        routes: [{ dst: l.podCidr }, { dst: l.serviceCidr }],
      },
    }],
  }, null, 2);
}

export async function startContainerd(l: ClusterLayout, p: ClusterPaths): Promise<Daemon> {
  for (const d of [p.containerdRoot, p.containerdState, p.cniConfDir, p.cniIpamDir, runcRoot(l)]) mkdirSync(d, { recursive: true });
  writeFileSync(p.containerdConfig, containerdConfig(l, p));
  writeFileSync(join(p.cniConfDir, '10-cairn-e2e.conflist'), cniConfig(l, p));
  const d = startDaemon('containerd', 'containerd', ['--config', p.containerdConfig], { logDir: p.logs });
  await waitUntil('containerd', () => ctr(p, ['version']).includes('Server:'), { timeoutMs: 60_000, watch: [d] });
  return d;
}

export function ctr(p: ClusterPaths, args: readonly string[]): string {
  return execFileSync('ctr', ['--address', p.containerdSocket, '--namespace', 'k8s.io', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function importImage(p: ClusterPaths, archive: string): void {
  ctr(p, ["images", "import", archive]);
}

/** Kills and deletes every container runc still runs for this cluster (after the kubelet is gone). */
export function killContainers(l: ClusterLayout): void {
  const root = join(runcRoot(l), 'k8s.io');
  if (!existsSync(root)) return;
  let ids: string[];
  try {
    ids = execFileSync(RUNC, ['--root', root, 'list', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter((x) => x !== '');
  } catch {
    return;
  }
  for (const id of ids) {
    try {
      execFileSync(RUNC, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
