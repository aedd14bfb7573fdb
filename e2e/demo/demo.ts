// `npm run demo`: the operator's main job, for anyone without a cluster. Brings up the local single-node
// cluster from the cached components (bash e2e/tools/install.sh builds them once), installs the Helm chart
// with the locally built image, backs up a generated PVC through a SnapshotSchedule, restores it into a new
// PVC through a Restore, shows the resources and the byte-for-byte check as it goes, and tears everything
// down. Needs root (it runs a kubelet and containerd). CAIRN_DEMO_KEEP=1 keeps the cluster up until Ctrl-C.
import { startCluster, type Cluster } from '../cluster/cluster.ts';
import { buildClusterImages } from '../cluster/cluster-images.ts';
import { helmInstallArgs, installCairn } from '../cluster/install-cairn.ts';
import { apply, infoFor, kubectl, restrictedNamespace, useE2eInfo } from '../scenarios/support/e2e-cluster.ts';
import { createBucket, manifestOf, repositoryReady, restoreDone, s3Repository, secrets, snapshotRecords, startApp, trigger } from '../scenarios/support/workload.ts';

const NS = 'demo';
const t0 = Date.now();
const say = (m: string): void => void process.stdout.write(`\n[${Math.round((Date.now() - t0) / 1000)}s] ${m}\n`);
const show = (args: string[]): void => {
  process.stdout.write(`$ kubectl ${args.join(' ')}\n${kubectl(args).stdout}`);
};

async function demo(cluster: Cluster, image: string): Promise<boolean> {
  say(`installing Cairn: helm ${helmInstallArgs('$KUBECONFIG', image).slice(2).join(' ')}`);
  installCairn(cluster, image);
  useE2eInfo(infoFor(cluster, image));
  show(['get', 'pods', '-n', 'cairn-system']);

  say('an app (UID 1000, namespace enforcing Pod Security "restricted") writes 2,000 files and a 50 MiB file into PVC demo/data');
  restrictedNamespace(NS);
  secrets(NS);
  await startApp(NS, 'data', 2000, 50);
  show(['get', 'pvc,pods', '-n', NS]);

  say(`a BackupRepository in MinIO (${cluster.minio.endpoint}) and a SnapshotSchedule`);
  await createBucket('demo');
  s3Repository(NS, 'minio', 'demo', 'apps');
  await repositoryReady(NS, 'minio');
  apply(`apiVersion: cairn.dev/v1alpha1
kind: SnapshotSchedule
metadata: {name: data}
spec:
  repository: minio
  sources: {pvcNames: [data]}
  schedule: "H 2 * * *"
  retention: {keepDaily: 7}
`, NS);
  show(['get', 'backuprepositories,snapshotschedules', '-n', NS]);

  say('triggering a backup now (spec.trigger.manual)');
  await trigger(NS, 'data', 'demo-1');
  show(['get', 'snapshots.cairn.dev', '-n', NS]);
  const [snapshot] = snapshotRecords(NS, 'data');

  say(`restoring snapshot ${snapshot!.spec.snapshotId} into a new PVC`);
  apply(`apiVersion: cairn.dev/v1alpha1
kind: Restore
metadata: {name: data-copy}
spec:
  repository: minio
  source: {snapshotRef: {name: ${snapshot!.metadata.name}}}
  target: {newPVC: {name: data-copy, capacity: 1Gi, accessModes: [ReadWriteOnce]}}
  mover: {podSecurityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000}}
`, NS);
  const st = await restoreDone(NS, 'data-copy');
  show(['get', 'restores,pvc', '-n', NS]);
  if (st.phase !== 'Succeeded') {
    say(`restore ${st.phase ?? '?'}: ${JSON.stringify(st.conditions)}`);
    return false;
  }

  say('comparing both PVCs, entry by entry (path, type, mode, owner, mtime, size, SHA-256), from pods that mount them');
  const strip = (m: string[]): string[] => m.filter((l) => !l.startsWith('lost+found '));
  const [a, b] = [strip(await manifestOf(NS, 'data')), strip(await manifestOf(NS, 'data-copy'))];
  const differ = a.length !== b.length || a.some((l, i) => l !== b[i]);
  process.stdout.write(`${a.length} entries in data, ${b.length} in data-copy: ${differ ? 'DIFFERENT' : 'identical'}\n`);
  for (const l of a.slice(0, 3)) process.stdout.write(`  ${l}\n`);
  return !differ;
}

async function main(): Promise<number> {
  say('building the images (pause, Cairn) from local files');
  const images = await buildClusterImages();
  say('starting the single-node cluster (etcd, kube-apiserver, controller-manager, scheduler, kubelet, containerd, CSI)');
  const cluster = await startCluster({ images: [images.pause, images.cairn] });
  let ok = false;
  try {
    ok = await demo(cluster, images.cairnName);
    if (process.env['CAIRN_DEMO_KEEP'] === '1') {
      say(`cluster kept: export KUBECONFIG=${cluster.kubeconfig}; Ctrl-C tears it down`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } catch (e) {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  } finally {
    say('tearing down');
    const left = await cluster.stop();
    if (left.length > 0) {
      process.stderr.write(`left on the host:\n  ${left.join('\n  ')}\n`);
      ok = false;
    }
  }
  say(ok ? 'done: backed up and restored byte for byte' : 'demo FAILED');
  return ok ? 0 : 1;
}

process.exitCode = await main();
