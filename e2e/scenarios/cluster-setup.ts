// vitest globalSetup of the e2e project: builds the pause and Cairn images from local files, brings up the
// single-node cluster (e2e/cluster), installs Cairn with its Helm chart from the local image, and hands the
// scenarios what they need. Afterwards it tears the cluster down and fails the run if anything of it is left
// on the host (processes, mounts, links, firewall rules, cgroups, kernel settings).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startCluster, type Cluster } from '../cluster/cluster.ts';
import { buildClusterImages } from '../cluster/cluster-images.ts';
import { ctr } from '../cluster/containerd.ts';
import type { E2eInfo } from './support/e2e-cluster.ts';

export const OPERATOR_NAMESPACE = 'cairn-system';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
let cluster: Cluster | undefined;

/** The image reference the chart and config/manager use by default (ghcr.io/cairn-backup/cairn:<appVersion>). */
export function publishedImageName(): string {
  const appVersion = /^appVersion:\s*"?([^"\s]+)"?/m.exec(readFileSync(`${REPO}/charts/cairn/Chart.yaml`, 'utf8'))?.[1];
  return `ghcr.io/cairn-backup/cairn:${appVersion ?? '0.0.0'}`;
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const log = (m: string): void => void process.stderr.write(`[e2e ${Math.round((Date.now() - started) / 1000)}s] ${m}\n`);
  log('building images');
  const images = await buildClusterImages();
  cluster = await startCluster({ images: [images.pause, images.cairn], log });
  // The local image also answers to the published name, so `kubectl apply -k config/default` (which pins
  // it) runs as written; nothing is ever pulled (imagePullPolicy IfNotPresent).
  ctr(cluster.paths, ['images', 'tag', '--force', images.cairnName, publishedImageName()]);
  log('helm install');
  const [repository, tag] = images.cairnName.split(':') as [string, string];
  execFileSync(cluster.binaries.helm, ['--kubeconfig', cluster.kubeconfig, 'install', 'cairn', `${REPO}/charts/cairn`, '-n', OPERATOR_NAMESPACE,
    '--create-namespace', '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`, '--wait', '--timeout', '5m'], { stdio: 'pipe' });
  log(`ready in ${Math.round((Date.now() - started) / 1000)} s`);
  const info: E2eInfo = {
    kubectl: cluster.binaries.kubectl, kubeconfig: cluster.kubeconfig, image: images.cairnName,
    minio: { endpoint: cluster.minio.endpoint, accessKey: cluster.minio.accessKey, secretKey: cluster.minio.secretKey, region: cluster.minio.region, dataDir: cluster.minio.dataDir },
    kopia: cluster.binaries.kopia, helm: cluster.binaries.helm, promqlCheck: cluster.binaries.promqlCheck, csiState: cluster.paths.csiState,
    hostIp: cluster.layout.hostIp, operatorNamespace: OPERATOR_NAMESPACE,
  };
  project.provide('e2e', info);
  return async () => {
    const left = (await cluster?.stop()) ?? [];
    if (left.length > 0) throw new Error(`the e2e cluster left things on the host:\n  ${left.join('\n  ')}`);
  };
}
