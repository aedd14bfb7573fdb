// What a scenario sees of the cluster that cluster-setup.ts (vitest globalSetup) started: kubectl as admin,
// MinIO, the Cairn image name, and helpers that wait on real objects (polling the API; never fixed sleeps)
// and run throwaway pods with the Cairn image (node is in it) to write and read PVC contents.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { waitForDefaultServiceAccount, type Cluster } from '../../cluster/cluster.ts';
import { OPERATOR_NAMESPACE } from '../../cluster/install-cairn.ts';

export interface E2eInfo {
  readonly kubectl: string;
  readonly kubeconfig: string;
  readonly image: string;
  readonly minio: { readonly endpoint: string; readonly accessKey: string; readonly secretKey: string; readonly region: string; readonly dataDir: string };
  readonly kopia: string;
  readonly helm: string;
  readonly promqlCheck: string;
  readonly csiState: string;
  readonly hostIp: string;
  readonly operatorNamespace: string;
}

/** What the scenarios need to know of a running cluster. */
export function infoFor(cluster: Cluster, image: string): E2eInfo {
  const m = cluster.minio;
  return {
    kubectl: cluster.binaries.kubectl, kubeconfig: cluster.kubeconfig, image,
    minio: { endpoint: m.endpoint, accessKey: m.accessKey, secretKey: m.secretKey, region: m.region, dataDir: m.dataDir },
    kopia: cluster.binaries.kopia, helm: cluster.binaries.helm, promqlCheck: cluster.binaries.promqlCheck, csiState: cluster.paths.csiState,
    hostIp: cluster.layout.hostIp, operatorNamespace: OPERATOR_NAMESPACE,
  };
}

let current: E2eInfo | undefined;

/** Set by the e2e project's setup file (from vitest's provide/inject) or by `npm run demo`. */
export function useE2eInfo(info: E2eInfo): void {
  current = info;
}

export function e2e(): E2eInfo {
  if (current === undefined) throw new Error('no e2e cluster: run the scenarios with `npm run test:e2e`');
  return current;
}

export interface KubectlOptions {
  readonly input?: string;
  readonly allowFail?: boolean;
  readonly timeoutMs?: number;
}

export function kubectl(args: readonly string[], o: KubectlOptions = {}): { code: number; stdout: string; stderr: string } {
  const info = e2e();
  const r = spawnSync(info.kubectl, [`--kubeconfig=${info.kubeconfig}`, ...args], {
    input: o.input, encoding: 'utf8', timeout: o.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024,
  });
  const out = { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
  if (out.code !== 0 && o.allowFail !== true) throw new Error(`kubectl ${args.join(' ')} failed (${out.code}): ${out.stderr.trim()}`);
  return out;
}

export function apply(yaml: string, namespace?: string): void {
  kubectl([...(namespace !== undefined ? ['-n', namespace] : []), 'apply', '-f', '-'], { input: yaml });
}

export function getJson<T = Record<string, unknown>>(kind: string, name: string, namespace?: string): T | undefined {
  const r = kubectl([...(namespace !== undefined ? ['-n', namespace] : []), 'get', kind, name, '-o', 'json'], { allowFail: true });
  if (r.code !== 0) {
    if (/NotFound/.test(r.stderr)) return undefined;
    throw new Error(r.stderr);
  }
  return JSON.parse(r.stdout) as T;
}

export function listJson<T = Record<string, unknown>>(kind: string, namespace: string, selector?: string): T[] {
  const r = kubectl(['-n', namespace, 'get', kind, '-o', 'json', ...(selector !== undefined ? ['-l', selector] : [])]);
  return (JSON.parse(r.stdout) as { items: T[] }).items;
}

/** Polls `fn` until it returns something other than undefined/false; the error names what was awaited. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 180_000, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last === '' ? '' : ` (last error: ${last})`}`);
    await delay(intervalMs);
  }
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export function condition(obj: { status?: { conditions?: Condition[] } } | undefined, type: string): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

/** A labelled namespace that enforces Pod Security "restricted", with its default ServiceAccount (deleteNamespace removes it). */
export function restrictedNamespace(name: string): void {
  apply(`apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
`);
  kubectl(waitForDefaultServiceAccount(name));
}

export function deleteNamespace(name: string): void {
  kubectl(['delete', 'namespace', name, '--wait=true', '--timeout=180s'], { allowFail: true, timeoutMs: 200_000 });
}

export const TREE_TOOL = readFileSync(new URL('./tree-tool.mjs', import.meta.url), 'utf8');

export interface PodIds {
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup?: number;
}

/** A pod spec that meets the restricted profile and runs node from the Cairn image. */
export function restrictedPod(name: string, ids: PodIds, containerArgs: { command: string[]; volumes: { claim: string; mountPath: string; readOnly?: boolean }[] },
  extra: { restartPolicy?: string; labels?: Record<string, string> } = {}): string {
  const info = e2e();
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: extra.labels ?? {} },
    spec: {
      restartPolicy: extra.restartPolicy ?? 'Never',
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true, runAsUser: ids.runAsUser, runAsGroup: ids.runAsGroup, ...(ids.fsGroup !== undefined ? { fsGroup: ids.fsGroup } : {}),
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [{
        name: 'main', image: info.image, imagePullPolicy: 'IfNotPresent', command: containerArgs.command,
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        volumeMounts: [...containerArgs.volumes.map((v, i) => ({ name: `v${i}`, mountPath: v.mountPath, readOnly: v.readOnly === true })), { name: 'tmp', mountPath: '/tmp' }],
        resources: { limits: { memory: '1Gi' } },
      }],
      volumes: [...containerArgs.volumes.map((v, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: v.claim, readOnly: v.readOnly === true } })),
        { name: 'tmp', emptyDir: {} }],
    },
  });
}

/** Runs the tree tool in a pod on `claim` and returns its stdout (the pod is deleted afterwards). */
export async function runTreeTool(namespace: string, name: string, claim: string, ids: PodIds, args: readonly string[], readOnly = false): Promise<string> {
  kubectl(['-n', namespace, 'delete', 'pod', name, '--ignore-not-found', '--wait=true']);
  kubectl(['-n', namespace, 'apply', '-f', '-'], {
    input: restrictedPod(name, ids, { command: ['node', '--input-type=module', '-e', TREE_TOOL, '--', args[0]!, '/data', ...args.slice(1)],
      volumes: [{ claim, mountPath: '/data', readOnly }] }),
  });
  const phase = await waitFor(`pod ${namespace}/${name} to finish`, () => {
    const p = getJson<{ status?: { phase?: string } }>('pod', name, namespace);
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p.status.phase : undefined;
  }, 600_000);
  const logs = kubectl(['-n', namespace, 'logs', name]).stdout;
  if (phase !== 'Succeeded') throw new Error(`pod ${namespace}/${name} failed:\n${logs.slice(-3000)}`);
  kubectl(['-n', namespace, 'delete', 'pod', name, '--wait=true']);
  return logs;
}

export function pvc(name: string, size = '2Gi', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...extra },
  });
}

/** Total bytes of the objects under a bucket prefix, from MinIO's data directory on this host. */
export function bucketBytes(bucket: string, prefix = ''): number {
  const r = spawnSync('du', ['-sb', `${e2e().minio.dataDir}/${bucket}/${prefix}`], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0] ?? 0);
}

/** The operator pod that holds the leader Lease (only the leader reconciles and updates run metrics). */
export function leaderPod(): { name: string; ip: string } {
  const ns = e2e().operatorNamespace;
  const holder = getJson<{ spec?: { holderIdentity?: string } }>('lease', 'cairn-operator', ns)?.spec?.holderIdentity;
  if (holder === undefined) throw new Error('no operator holds the Lease');
  const pod = getJson<{ status?: { podIP?: string } }>('pod', holder, ns);
  if (pod?.status?.podIP === undefined) throw new Error(`leader pod ${holder} has no IP`);
  return { name: holder, ip: pod.status.podIP };
}

/** A scrape of the leader's /metrics (the host reaches pod IPs on the cluster bridge). */
export async function scrapeMetrics(): Promise<string> {
  const { ip } = leaderPod();
  const r = await fetch(`http://${ip}:8080/metrics`);
  if (!r.ok) throw new Error(`GET /metrics from ${ip}: ${r.status}`);
  return r.text();
}

/** The value of one sample in a Prometheus text scrape, matched by name and label subset. */
export function metricValue(scrape: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of scrape.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum = (sum ?? 0) + Number(m[4]);
  }
  return sum;
}
