// etcd, kube-apiserver, kube-controller-manager and kube-scheduler of the pinned release, as plain host
// processes. The API server listens on the cluster's bridge address (pods reach it through the `kubernetes`
// Service, which kube-proxy maps to that address), with Node+RBAC authorization and the admission plugins a
// real cluster has on by default (PodSecurity among them, so namespace labels enforce "restricted").
import { mkdirSync } from 'node:fs';
import type { ClusterLayout, ClusterPaths } from './cluster-layout.ts';
import { startDaemon, waitUntil, type Daemon } from './daemon.ts';
import type { ClusterPki } from './pki.ts';
import type { ClusterBinaries } from './cluster-binaries.ts';
import { httpsGet } from './https-get.ts';

export async function startEtcd(b: ClusterBinaries, l: ClusterLayout, p: ClusterPaths): Promise<Daemon> {
  mkdirSync(p.etcdData, { recursive: true, mode: 0o700 });
  const client = `http://127.0.0.1:${l.etcdClientPort}`;
  const peer = `http://127.0.0.1:${l.etcdPeerPort}`;
  const d = startDaemon('etcd', b.etcd, [
    '--name=cairn-e2e', `--data-dir=${p.etcdData}`, `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=cairn-e2e=${peer}`,
    '--listen-metrics-urls=', '--unsafe-no-fsync=true', '--log-level=warn',
  ], { logDir: p.logs });
  await waitUntil('etcd', async () => (await fetch(`${client}/health`)).ok, { timeoutMs: 60_000, watch: [d] });
  return d;
}

export function apiserverArgs(l: ClusterLayout, p: ClusterPaths, pki: ClusterPki): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${l.etcdClientPort}`,
    `--bind-address=${l.hostIp}`, `--advertise-address=${l.hostIp}`, `--secure-port=${l.apiPort}`,
    `--tls-cert-file=${pki.apiserverCert}`, `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`, `--token-auth-file=${pki.tokenFile}`,
    `--kubelet-client-certificate=${pki.kubeletClientCert}`, `--kubelet-client-key=${pki.kubeletClientKey}`,
    '--kubelet-preferred-address-types=InternalIP',
    '--authorization-mode=Node,RBAC', '--anonymous-auth=false',
    '--enable-admission-plugins=NodeRestriction',
    `--service-account-key-file=${pki.saPublicKey}`, `--service-account-signing-key-file=${pki.saPrivateKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-cluster-ip-range=${l.serviceCidr}`, '--service-node-port-range=30000-30100',
    '--allow-privileged=true', '--profiling=false', '--v=1',
  ];
}

export async function startApiserver(b: ClusterBinaries, l: ClusterLayout, p: ClusterPaths, pki: ClusterPki, watch: readonly Daemon[]): Promise<Daemon> {
  const d = startDaemon('kube-apiserver', b.kubeApiserver, apiserverArgs(l, p, pki), { logDir: p.logs });
  await waitUntil('kube-apiserver', async () => (await httpsGet(`https://${l.hostIp}:${l.apiPort}/readyz`, pki.caCert, pki.users.admin.token)).status === 200,
    { timeoutMs: 120_000, watch: [...watch, d] });
  return d;
}

export function startControllerManager(b: ClusterBinaries, l: ClusterLayout, p: ClusterPaths, pki: ClusterPki): Daemon {
  return startDaemon('kube-controller-manager', b.kubeControllerManager, [
    `--kubeconfig=${pki.users.controllerManager.kubeconfig}`,
    `--authentication-kubeconfig=${pki.users.controllerManager.kubeconfig}`,
    `--authorization-kubeconfig=${pki.users.controllerManager.kubeconfig}`,
    `--service-account-private-key-file=${pki.saPrivateKey}`, `--root-ca-file=${pki.caCert}`,
    '--use-service-account-credentials=true', '--leader-elect=false',
    '--bind-address=127.0.0.1', '--secure-port=10257',
    `--cluster-cidr=${l.podCidr}`, `--service-cluster-ip-range=${l.serviceCidr}`, '--allocate-node-cidrs=false',
    '--controllers=*,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller',
    // Finished Jobs' pods are deleted by the Job controller; the pod GC keeps the cluster small.
    '--terminated-pod-gc-threshold=200', '--v=1',
  ], { logDir: p.logs });
}

export function startScheduler(b: ClusterBinaries, p: ClusterPaths, pki: ClusterPki): Daemon {
  return startDaemon('kube-scheduler', b.kubeScheduler, [
    `--kubeconfig=${pki.users.scheduler.kubeconfig}`,
    `--authentication-kubeconfig=${pki.users.scheduler.kubeconfig}`,
    `--authorization-kubeconfig=${pki.users.scheduler.kubeconfig}`,
    '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=10259', '--v=1',
  ], { logDir: p.logs });
}
