// A throwaway Kubernetes control plane for integration tests: etcd and kube-apiserver on loopback with
// random ports and temp dirs, RBAC authorization, PodSecurity admission, static tokens (an admin in
// system:masters plus any extra users, e.g. the operator's service-account identity so it runs with exactly
// the RBAC of config/rbac), a generated service-account key pair, and an audit log (Metadata level) that
// tests read to see which API calls a user made. Nothing runs pods: tests write Job and Pod status.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeTools } from './kube-tools.ts';

export interface KubeUser {
  readonly name: string;
  readonly groups?: readonly string[];
}

export interface AuditEvent {
  readonly verb: string;
  readonly user: { readonly username: string; readonly groups?: string[] };
  readonly objectRef?: { readonly resource?: string; readonly namespace?: string; readonly name?: string; readonly subresource?: string };
  readonly requestURI: string;
  readonly userAgent?: string;
  readonly responseStatus?: { readonly code?: number };
  readonly stage: string;
}

export interface KubeCluster {
  readonly server: string;
  readonly dir: string;
  /** kubeconfig file of the admin (system:masters). */
  readonly adminKubeconfig: string;
  readonly admin: KubeConfig;
  /** KubeConfig for one of the extra users given at start. */
  kubeConfigFor(user: string): KubeConfig;
  kubeconfigFileFor(user: string): string;
  /** Run kubectl as admin (or `as` user); returns stdout, throws with stderr on failure. */
  kubectl(args: readonly string[], opts?: { input?: string; as?: string; allowFail?: boolean }): { code: number; stdout: string; stderr: string };
  audit(): AuditEvent[];
  /** Kill kube-apiserver, keep it down for `downMs`, start it again on the same port (etcd keeps the data). */
  restartApiserver(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

function kubeconfigYaml(server: string, user: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test`,
    `  cluster: {server: "${server}", insecure-skip-tls-verify: true}`,
    'users:',
    `- name: "${user}"`,
    `  user: {token: "${token}"}`,
    'contexts:',
    `- name: test`,
    `  context: {cluster: test, user: "${user}", namespace: default}`,
    'current-context: test',
    '',
  ].join('\n');
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    resources: [{group: "coordination.k8s.io", resources: ["leases"]}]
    users: ["system:apiserver"]
  - level: Metadata
`;

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number, procs: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of procs) if (p.exitCode !== null) throw new Error(`${what}: a process exited early with code ${p.exitCode}`);
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready in ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function startKubeCluster(tools: KubeTools, users: readonly KubeUser[] = []): Promise<KubeCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-kube-'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = [];
  const log = (name: string): number => openSync(join(dir, `${name}.log`), 'a');
  const etcd = spawn(
    tools.etcd,
    [
      '--name=test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=test=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    { stdio: ['ignore', log('etcd'), log('etcd')] },
  );
  procs.push(etcd);

  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  writeFileSync(join(dir, 'sa.pub'), publicKey);
  writeFileSync(join(dir, 'sa.key'), privateKey);
  const tokens = new Map<string, string>();
  const adminToken = randomBytes(16).toString('hex');
  const lines = [`${adminToken},admin,admin-uid,"system:masters"`];
  for (const u of users) {
    const t = randomBytes(16).toString('hex');
    tokens.set(u.name, t);
    lines.push(`${t},${u.name},${u.name}-uid${u.groups !== undefined && u.groups.length > 0 ? `,"${u.groups.join(',')}"` : ''}`);
  }
  writeFileSync(join(dir, 'tokens.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
  const auditLog = join(dir, 'audit.log');

  await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, 30_000, procs);

  const apiserverArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.0.0.0/24',
      // OwnerReferencesPermissionEnforcement as on OpenShift: blockOwnerDeletion needs update on the owner's
      // finalizers, which the operator's RBAC must grant for every kind that owns its objects.
      '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,PodSecurity,DefaultStorageClass,OwnerReferencesPermissionEnforcement',
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-format=json',
      '--audit-log-mode=blocking',
      '--enable-priority-and-fairness=false',
      '--v=1',
    ];
  let apiserver = spawn(tools.kubeApiserver, apiserverArgs, { stdio: ['ignore', log('kube-apiserver'), log('kube-apiserver')] });
  procs.push(apiserver);
  const server = `https://127.0.0.1:${apiPort}`;

  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  writeFileSync(adminKubeconfig, kubeconfigYaml(server, 'admin', adminToken));
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);

  const stop = async (): Promise<void> => {
    for (const p of [apiserver, etcd] as ChildProcess[]) {
      if (p.exitCode === null) {
        p.kill('SIGTERM');
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            p.kill('SIGKILL');
            resolve();
          }, 5_000);
          p.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    }
    if (process.env['CAIRN_KEEP_KUBE'] !== '1') rmSync(dir, { recursive: true, force: true });
  };

  const kubectl: KubeCluster['kubectl'] = (args, opts = {}) => {
    const cfg = opts.as !== undefined ? kubeconfigFileFor(opts.as) : adminKubeconfig;
    const r = spawnSync(tools.kubectl, [`--kubeconfig=${cfg}`, ...args], { input: opts.input, encoding: 'utf8', timeout: 60_000 });
    const out = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    if (out.code !== 0 && opts.allowFail !== true) throw new Error(`kubectl ${args.join(' ')} failed (${out.code}): ${out.stderr}`);
    return out;
  };

  function kubeconfigFileFor(user: string): string {
    const token = tokens.get(user);
    if (token === undefined) throw new Error(`no test user ${user}`);
    const file = join(dir, `${user.replace(/[^A-Za-z0-9-]/g, '_')}.kubeconfig`);
    if (!existsSync(file)) writeFileSync(file, kubeconfigYaml(server, user, token));
    return file;
  }

  const waitReady = (): Promise<void> =>
    waitFor(
      'kube-apiserver',
      async () => {
        const r = kubectl(['get', '--raw=/readyz'], { allowFail: true });
        return r.code === 0 && r.stdout.trim() === 'ok';
      },
      120_000,
      [etcd, apiserver],
    );
  try {
    await waitReady();
  } catch (e) {
    const tail = readFileSync(join(dir, 'kube-apiserver.log'), 'utf8').split('\n').slice(-30).join('\n');
    await stop();
    throw new Error(`${(e as Error).message}\n${tail}`, { cause: e });
  }

  return {
    server,
    dir,
    adminKubeconfig,
    admin,
    kubeConfigFor(user) {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigFileFor(user));
      return kc;
    },
    kubeconfigFileFor,
    kubectl,
    async restartApiserver(downMs) {
      apiserver.kill('SIGKILL');
      await new Promise<void>((resolve) => (apiserver.exitCode !== null ? resolve() : apiserver.once('exit', () => resolve())));
      await new Promise((r) => setTimeout(r, downMs));
      apiserver = spawn(tools.kubeApiserver, apiserverArgs, { stdio: ['ignore', log('kube-apiserver'), log('kube-apiserver')] });
      await waitReady();
    },
    audit() {
      if (!existsSync(auditLog)) return [];
      return readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as AuditEvent);
    },
    stop,
  };
}
