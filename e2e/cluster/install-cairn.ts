// Installs Cairn into the e2e cluster the way the README tells a newcomer: the Helm chart with the locally
// built image. The image is also tagged with the name the chart and config/manager use by default, so
// `kubectl apply -k config/default` runs as written (nothing is ever pulled: imagePullPolicy IfNotPresent).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster } from './cluster.ts';
import { ctr } from './containerd.ts';

export const OPERATOR_NAMESPACE = 'cairn-system';
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** ghcr.io/cairn-backup/cairn:<the chart's appVersion>. */
export function publishedImageName(): string {
  const appVersion = /^appVersion:\s*"?([^"\s]+)"?/m.exec(readFileSync(`${REPO}/charts/cairn/Chart.yaml`, 'utf8'))?.[1];
  return `ghcr.io/cairn-backup/cairn:${appVersion ?? '0.0.0'}`;
}

/** The `helm install` command line for a local image (what the README shows). */
export function helmInstallArgs(kubeconfig: string, image: string): string[] {
  const [repository, tag] = image.split(':') as [string, string];
  return ['--kubeconfig', kubeconfig, 'install', 'cairn', `${REPO}/charts/cairn`, '-n', OPERATOR_NAMESPACE, '--create-namespace',
    '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`, '--wait', '--timeout', '5m'];
}

export function installCairn(cluster: Cluster, image: string): void {
  ctr(cluster.paths, ['images', 'tag', '--force', image, publishedImageName()]);
  execFileSync(cluster.binaries.helm, helmInstallArgs(cluster.kubeconfig, image), { stdio: 'pipe' });
}
