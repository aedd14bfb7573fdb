// vitest globalSetup of the e2e project: builds the pause and Cairn images from local files, brings up the
// single-node cluster (e2e/cluster), installs Cairn with its Helm chart from the local image, and hands the
// scenarios what they need. Afterwards it tears the cluster down and fails the run if anything of it is left
// on the host (processes, mounts, links, firewall rules, cgroups, kernel settings).
import type { TestProject } from 'vitest/node';
import { startCluster, type Cluster } from '../cluster/cluster.ts';
import { buildClusterImages } from '../cluster/cluster-images.ts';
import { installCairn } from '../cluster/install-cairn.ts';
import { infoFor } from './support/e2e-cluster.ts';

let cluster: Cluster | undefined;

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const log = (m: string): void => void process.stderr.write(`[e2e ${Math.round((Date.now() - started) / 1000)}s] ${m}\n`);
  log('building images');
  const images = await buildClusterImages();
  cluster = await startCluster({ images: [images.pause, images.cairn], log });
  log('helm install');
  try {
    installCairn(cluster, images.cairnName);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  log(`ready in ${Math.round((Date.now() - started) / 1000)} s`);
  const info = infoFor(cluster, images.cairnName);
  project.provide('e2e', info);
  return async () => {
    const left = (await cluster?.stop()) ?? [];
    if (left.length > 0) throw new Error(`the e2e cluster left things on the host:\n  ${left.join('\n  ')}`);
  };
}
