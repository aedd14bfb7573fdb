// Credentials of the e2e cluster, made fresh for every cluster: a CA (openssl), the API server's serving
// certificate (valid for the host address on the bridge, loopback and the `kubernetes` Service IP, so pods
// verify it with the service-account CA bundle), a client certificate the API server shows the kubelet,
// the service-account signing key, and one static bearer token per component with exactly the identity
// Kubernetes' built-in RBAC roles expect (system:node:<node>, system:kube-scheduler, ...).
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterLayout, ClusterPaths } from './cluster-layout.ts';

/** A component identity with a token and a kubeconfig file. */
export interface ClusterUser {
  readonly name: string;
  readonly groups: readonly string[];
  readonly token: string;
  readonly kubeconfig: string;
}

export interface ClusterPki {
  readonly caCert: string;
  readonly apiserverCert: string;
  readonly apiserverKey: string;
  readonly kubeletClientCert: string;
  readonly kubeletClientKey: string;
  readonly saPublicKey: string;
  readonly saPrivateKey: string;
  readonly tokenFile: string;
  readonly users: Readonly<Record<ComponentUser, ClusterUser>>;
}

export type ComponentUser = 'admin' | 'kubelet' | 'controllerManager' | 'scheduler' | 'kubeProxy' | 'csi';

function openssl(args: readonly string[]): void {
  execFileSync('openssl', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function signedCert(dir: string, name: string, subject: string, ext: string): void {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  openssl(['x509', '-req', '-in', csr, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial',
    '-days', '7', '-sha256', '-extfile', extFile, '-out', join(dir, `${name}.crt`)]);
}

function kubeconfig(server: string, ca: string, user: string, token: string): string {
  return [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: cairn-e2e', `  cluster: {server: "${server}", certificate-authority: "${ca}"}`,
    'users:', `- name: "${user}"`, `  user: {token: "${token}"}`,
    'contexts:', '- name: cairn-e2e', `  context: {cluster: cairn-e2e, user: "${user}"}`,
    'current-context: cairn-e2e', '',
  ].join('\n');
}

export function makePki(l: ClusterLayout, p: ClusterPaths): ClusterPki {
  const dir = p.pki;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(p.kubeconfigs, { recursive: true, mode: 0o700 });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '7', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'),
    '-subj', '/CN=cairn-e2e-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const sans = [`IP:${l.hostIp}`, 'IP:127.0.0.1', `IP:${l.apiServiceIp}`, 'DNS:kubernetes', 'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local', 'DNS:localhost'];
  signedCert(dir, 'apiserver', '/CN=kube-apiserver',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`);
  signedCert(dir, 'apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(join(dir, 'sa.pub'), publicKey);
  writeFileSync(join(dir, 'sa.key'), privateKey, { mode: 0o600 });

  const server = `https://${l.hostIp}:${l.apiPort}`;
  const ca = join(dir, 'ca.crt');
  const identities: Record<ComponentUser, { name: string; groups: string[] }> = {
    admin: { name: 'cairn-e2e-admin', groups: ['system:masters'] },
    kubelet: { name: `system:node:${l.nodeName}`, groups: ['system:nodes'] },
    controllerManager: { name: 'system:kube-controller-manager', groups: [] },
    scheduler: { name: 'system:kube-scheduler', groups: [] },
    kubeProxy: { name: 'system:kube-proxy', groups: [] },
    // The CSI sidecars and the snapshot controller are test infrastructure here, not what is under test.
    csi: { name: 'cairn-e2e-csi', groups: ['system:masters'] },
  };
  const lines: string[] = [];
  const users = {} as Record<ComponentUser, ClusterUser>;
  for (const [key, id] of Object.entries(identities) as [ComponentUser, { name: string; groups: string[] }][]) {
    const token = randomBytes(24).toString('hex');
    lines.push(`${token},${id.name},${id.name}${id.groups.length > 0 ? `,"${id.groups.join(',')}"` : ''}`);
    const file = join(p.kubeconfigs, `${key}.kubeconfig`);
    writeFileSync(file, kubeconfig(server, ca, id.name, token), { mode: 0o600 });
    users[key] = { ...id, token, kubeconfig: file };
  }
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  return {
    caCert: ca, apiserverCert: join(dir, 'apiserver.crt'), apiserverKey: join(dir, 'apiserver.key'),
    kubeletClientCert: join(dir, 'apiserver-kubelet-client.crt'), kubeletClientKey: join(dir, 'apiserver-kubelet-client.key'),
    saPublicKey: join(dir, 'sa.pub'), saPrivateKey: join(dir, 'sa.key'), tokenFile, users,
  };
}
