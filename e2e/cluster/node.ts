// The node: the kubelet of the pinned release on containerd, and kube-proxy (nftables mode) so that pods
// reach the API server through the `kubernetes` Service as in any cluster. Two kubelet settings this machine
// needs (measured): `failCgroupV1: false` (the host is on cgroup v1) and the cgroupfs driver (no systemd).
// Every pod cgroup lives under one cgroup root per hierarchy, so teardown can find and remove them all.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterLayout, ClusterPaths } from './cluster-layout.ts';
import { startDaemon, waitUntil, type Daemon } from './daemon.ts';
import type { ClusterPki } from './pki.ts';
import type { ClusterBinaries } from './cluster-binaries.ts';

function kubeletConfig(l: ClusterLayout, p: ClusterPaths, pki: ClusterPki): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${l.hostIp}
port: ${l.kubeletPort}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${pki.caCert}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: ${l.cgroupRoot}
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${p.containerdSocket}
resolvConf: ${p.resolvConf}
clusterDomain: cluster.local
staticPodPath: ""
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
protectKernelDefaults: false
podPidsLimit: -1
maxPods: 110
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
shutdownGracePeriod: 0s
`;
}

export async function startKubelet(b: ClusterBinaries, l: ClusterLayout, p: ClusterPaths, pki: ClusterPki, kubectl: (args: readonly string[]) => string): Promise<Daemon> {
  mkdirSync(p.kubeletRoot, { recursive: true });
  mkdirSync(p.pluginsRegistry, { recursive: true });
  // No name servers: pods resolve nothing outside the cluster (and Cairn's pods need no DNS at all).
  writeFileSync(p.resolvConf, '');
  const config = join(l.base, 'kubelet.yaml');
  writeFileSync(config, kubeletConfig(l, p, pki));
  const d = startDaemon('kubelet', b.kubelet, [
    `--config=${config}`, `--kubeconfig=${pki.users.kubelet.kubeconfig}`, `--root-dir=${p.kubeletRoot}`,
    `--cert-dir=${join(p.kubeletRoot, 'pki')}`, `--hostname-override=${l.nodeName}`, `--node-ip=${l.hostIp}`, '--v=1',
  ], { logDir: p.logs });
  await waitUntil('node Ready', () => {
    const out = kubectl(['get', 'node', l.nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return out.trim() === 'True';
  }, { timeoutMs: 180_000, watch: [d], intervalMs: 1000 });
  return d;
}

export async function startKubeProxy(b: ClusterBinaries, l: ClusterLayout, p: ClusterPaths, pki: ClusterPki): Promise<Daemon> {
  const config = join(l.base, 'kube-proxy.yaml');
  writeFileSync(config, `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: ${pki.users.kubeProxy.kubeconfig}}
mode: nftables
clusterCIDR: ${l.podCidr}
hostnameOverride: ${l.nodeName}
bindAddress: ${l.hostIp}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["${l.hostIp}/32"]
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`);
  const d = startDaemon('kube-proxy', b.kubeProxy, [`--config=${config}`, '--v=1'], { logDir: p.logs });
  await waitUntil('kube-proxy', async () => (await fetch('http://127.0.0.1:10256/healthz')).ok, { timeoutMs: 60_000, watch: [d] });
  return d;
}
