// Locates the pinned Kubernetes test components (etcd, kube-apiserver, kubectl, ...) that
// e2e/tools/install-kube.sh builds into $HOME/.cache/cairn/kube-<version>-<go.mod hash>/bin. Same rule as tools.ts:
// a missing tool skips the test locally; with CAIRN_REQUIRE_TOOLS=1 (CI) requireKubeTools() throws while
// the test file is collected, so the run fails instead of silently skipping.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { findExecutable } from './tools.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type KubeToolName =
  | 'etcd' | 'kube-apiserver' | 'kubectl' | 'helm' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet' | 'kube-proxy'
  | 'csi-provisioner' | 'csi-snapshotter' | 'snapshot-controller';

export interface KubeTools {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubectl: string;
}

const GO_MOD = new URL('../tools/kube/go.mod', import.meta.url);

/** The Kubernetes release pinned in e2e/tools/kube/go.mod (e.g. v1.35.4). */
export function pinnedKubeVersion(): string {
  const m = /^\s*(?:require\s+)?k8s\.io\/kubernetes\s+(v\S+)/m.exec(readFileSync(GO_MOD, 'utf8'));
  if (m === null) throw new Error('e2e/tools/kube/go.mod does not require k8s.io/kubernetes');
  return m[1]!;
}

/** Same directory as install-kube.sh: keyed by the release and a hash of the three pinning go.mod files. */
export function kubeBinDir(): string {
  const root = process.env['CAIRN_TOOLS_CACHE'] ?? join(homedir(), '.cache', 'cairn');
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'etcd/go.mod', 'helm/go.mod']) hash.update(readFileSync(new URL(`../tools/kube/${f}`, import.meta.url)));
  return join(root, `kube-${pinnedKubeVersion()}-${hash.digest('hex').slice(0, 12)}`, 'bin');
}

/** The pinned cached binary, else one on PATH, else undefined. */
export function findKubeTool(name: KubeToolName): string | undefined {
  return findExecutable(join(kubeBinDir(), name), name);
}

/** All three tools, or undefined (skip) — but throws when one is missing and CAIRN_REQUIRE_TOOLS=1. */
export function requireKubeTools(): KubeTools | undefined {
  const etcd = findKubeTool('etcd');
  const kubeApiserver = findKubeTool('kube-apiserver');
  const kubectl = findKubeTool('kubectl');
  if (etcd !== undefined && kubeApiserver !== undefined && kubectl !== undefined) return { etcd, kubeApiserver, kubectl };
  if (process.env['CAIRN_REQUIRE_TOOLS'] === '1') {
    const missing = [etcd === undefined ? 'etcd' : '', kubeApiserver === undefined ? 'kube-apiserver' : '', kubectl === undefined ? 'kubectl' : '']
      .filter((x) => x !== '')
      .join(', ');
    throw new Error(`${missing} (Kubernetes ${pinnedKubeVersion()}) required (CAIRN_REQUIRE_TOOLS=1) but not in ${kubeBinDir()} nor on PATH; run \`bash e2e/tools/install-kube.sh\``);
  }
  return undefined;
}
