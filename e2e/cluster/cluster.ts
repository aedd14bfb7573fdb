// A single-node Kubernetes cluster from upstream parts on this machine, for the end-to-end scenarios and
// `npm run demo`: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kube-proxy of the
// pinned release; containerd, runc and the CNI bridge plugin from Debian; the CSI sidecars and snapshot
// controller with Cairn's test CSI driver; MinIO on the cluster's bridge address. Images come from local OCI
// archives (no registry). Start-up first removes whatever a crashed earlier run left; stop() tears everything
// down and returns what is still left on the host (nothing, when all went well).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LAYOUT, paths, type ClusterLayout, type ClusterPaths } from './cluster-layout.ts';
import { findClusterBinaries, type ClusterBinaries } from './cluster-binaries.ts';
import { importImage, killContainers, runcRoot, startContainerd } from './containerd.ts';
import { startApiserver, startControllerManager, startEtcd, startScheduler } from './control-plane.ts';
import type { Daemon } from './daemon.ts';
import {
  clusterProcessCount, cleanFirewall, nftTables, removeNewEmptyTables, createBridge, createCgroups, deleteLinks, killClusterProcesses, leftovers, readSysctls, removeCgroups,
  restoreSysctls, terminateClusterProcesses, unmountAll,
} from './host-state.ts';
import { findKubeTool } from '../support/kube-tools.ts';
import { startKubelet, startKubeProxy } from './node.ts';
import { makePki, type ClusterPki } from './pki.ts';
import { startStorage } from './storage.ts';
import { startMinio, type MinioServer } from '../support/minio.ts';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Cluster {
  readonly layout: ClusterLayout;
  readonly paths: ClusterPaths;
  readonly binaries: ClusterBinaries;
  readonly pki: ClusterPki;
  /** The admin kubeconfig (system:masters). */
  readonly kubeconfig: string;
  readonly server: string;
  readonly minio: MinioServer;
  /** kubectl as admin; throws with stderr unless allowFail. */
  kubectl(args: readonly string[], opts?: { input?: string; allowFail?: boolean; timeoutMs?: number }): KubectlResult;
  /** Imports an OCI/docker archive into the node's containerd (k8s.io namespace). */
  importImage(archive: string): void;
  /** Tears everything down; returns whatever is still on the host (empty when clean). */
  stop(): Promise<string[]>;
}

export interface StartClusterOptions {
  /** OCI archives to import before the node starts (the pause image and the Cairn image). */
  readonly images: readonly string[];
  readonly layout?: ClusterLayout;
  readonly log?: (message: string) => void;
}

/** What the host looked like before the first cluster start (kept until a clean teardown). */
interface HostBefore {
  readonly sysctls: Record<string, string>;
  readonly runContainerdExisted: boolean;
  readonly nftTables: readonly string[];
}

function sysctlFile(l: ClusterLayout): string {
  return `${l.run}.host-before.json`;
}

/** Strings that identify the cluster's processes and mounts on the host. */
function needles(l: ClusterLayout): string[] {
  return [l.base, l.run];
}

/** Removes everything a cluster (this one or a crashed earlier one) put on the host. */
export async function teardownHost(l: ClusterLayout = DEFAULT_LAYOUT, daemons: readonly Daemon[] = []): Promise<string[]> {
  const p = paths(l);
  // Let the kubelet stop the pods it runs (so CNI tears their networks down and the CSI driver unpublishes
  // their volumes) before anything is killed. Works from another process too (`npm run cluster -- down`).
  const kubectl = findKubeTool('kubectl');
  if (kubectl !== undefined && existsSync(p.adminKubeconfig) && clusterProcessCount(l, needles(l)) > 0) {
    spawnSync(kubectl, [`--kubeconfig=${p.adminKubeconfig}`, '--request-timeout=10s', 'delete', 'pods', '--all', '--all-namespaces',
      '--grace-period=1', '--wait=true', '--timeout=90s'], { stdio: 'ignore', timeout: 100_000 });
  }
  // Reverse start order, so the CSI driver outlives the kubelet's unpublishing.
  for (const d of [...daemons].reverse()) await d.stop(15_000);
  await terminateClusterProcesses(l, needles(l), 10_000);
  killContainers(l);
  killClusterProcesses(l, needles(l));
  unmountAll(needles(l));
  deleteLinks(l);
  cleanFirewall();
  removeCgroups(l);
  let saved: Record<string, string> | undefined;
  let tablesBefore: readonly string[] | undefined;
  if (existsSync(sysctlFile(l))) {
    const before = JSON.parse(readFileSync(sysctlFile(l), 'utf8')) as HostBefore;
    saved = before.sysctls;
    tablesBefore = before.nftTables;
    removeNewEmptyTables(before.nftTables);
    restoreSysctls(saved);
    // containerd 1.6 puts its shims' sockets in /run/containerd/s whatever its state dir is.
    if (!before.runContainerdExisted) rmSync('/run/containerd', { recursive: true, force: true });
  }
  // Keep the last run's logs for reading after a failure; everything else goes.
  if (existsSync(p.logs)) {
    const keep = join(tmpdir(), 'cairn-e2e-logs');
    rmSync(keep, { recursive: true, force: true });
    cpSync(p.logs, keep, { recursive: true });
  }
  for (const dir of [l.base, l.run]) {
    if (existsSync(dir)) {
      unmountAll([dir]);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }
  const left = leftovers(l, needles(l), saved, tablesBefore);
  if (left.length === 0) rmSync(sysctlFile(l), { force: true });
  return left;
}

function takeLock(l: ClusterLayout, p: ClusterPaths): void {
  if (existsSync(p.lock)) {
    const pid = Number(readFileSync(p.lock, 'utf8'));
    let alive: boolean;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`another e2e cluster is running (pid ${pid}); stop it with \`npm run cluster -- down\``);
  }
  mkdirSync(l.run, { recursive: true });
  writeFileSync(p.lock, String(process.pid));
}

/**
 * kubectl arguments that wait for a namespace's `default` ServiceAccount, which pods need and the controller
 * manager creates a moment after the namespace. `--for=create` waits for an object that does not exist yet;
 * any other condition fails at once with NotFound when the controller has not got there.
 */
export function waitForDefaultServiceAccount(namespace: string): string[] {
  return ['wait', '--for=create', 'serviceaccount/default', '-n', namespace, '--timeout=60s'];
}

export async function startCluster(opts: StartClusterOptions): Promise<Cluster> {
  const l = opts.layout ?? DEFAULT_LAYOUT;
  const p = paths(l);
  const log = opts.log ?? ((m: string) => process.stderr.write(`[cluster] ${m}\n`));
  if (process.getuid?.() !== 0) throw new Error('the e2e cluster needs root (it runs a kubelet, containerd and mounts)');
  const binaries = findClusterBinaries();
  if (existsSync(p.lock)) takeLock(l, p); // refuses when another live process owns the cluster
  const left = await teardownHost(l);
  if (left.length > 0) throw new Error(`leftovers of an earlier cluster could not be removed:\n  ${left.join('\n  ')}`);
  takeLock(l, p);
  if (!existsSync(sysctlFile(l))) {
    const before: HostBefore = { sysctls: readSysctls(), runContainerdExisted: existsSync('/run/containerd'), nftTables: nftTables() };
    writeFileSync(sysctlFile(l), JSON.stringify(before));
  }
  for (const d of [l.base, p.logs]) mkdirSync(d, { recursive: true });

  const daemons: Daemon[] = [];
  const started = Date.now();
  const kubectlRaw = (args: readonly string[], o: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): KubectlResult => {
    const r = spawnSync(binaries.kubectl, [`--kubeconfig=${p.adminKubeconfig}`, ...args], {
      input: o.input, encoding: 'utf8', timeout: o.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024,
    });
    const out = { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? '') };
    if (out.code !== 0 && o.allowFail !== true) throw new Error(`kubectl ${args.join(' ')} failed (${out.code}): ${out.stderr.trim()}`);
    return out;
  };
  const kubectl = (args: readonly string[], input?: string): string => kubectlRaw(args, input === undefined ? {} : { input }).stdout;
  let minio: MinioServer | undefined;
  const stop = async (): Promise<string[]> => {
    log('tearing down');
    await minio?.stop().catch(() => undefined);
    const rest = await teardownHost(l, daemons);
    log(rest.length === 0 ? 'host clean' : `left on the host:\n  ${rest.join('\n  ')}`);
    return rest;
  };
  try {
    log('PKI');
    const pki = makePki(l, p);
    createBridge(l);
    createCgroups(l);
    log('etcd, kube-apiserver');
    daemons.push(await startEtcd(binaries, l, p));
    daemons.push(await startApiserver(binaries, l, p, pki, daemons));
    daemons.push(startControllerManager(binaries, l, p, pki));
    daemons.push(startScheduler(binaries, p, pki));
    log('containerd, images');
    daemons.push(await startContainerd(l, p));
    for (const image of opts.images) importImage(p, image);
    log('kubelet, kube-proxy');
    daemons.push(await startKubelet(binaries, l, p, pki, kubectl));
    daemons.push(await startKubeProxy(binaries, l, p, pki));
    log('CSI driver, sidecars, snapshot controller');
    daemons.push(...(await startStorage(binaries, l, p, pki, kubectl)));
    kubectlRaw(waitForDefaultServiceAccount('default'));
    log('MinIO');
    minio = await startMinio({ host: l.hostIp, dir: join(l.base, 'minio') });
    log(`cluster up in ${Math.round((Date.now() - started) / 1000)} s (runc root ${runcRoot(l)})`);
    return {
      layout: l, paths: p, binaries, pki, kubeconfig: p.adminKubeconfig, server: `https://${l.hostIp}:${l.apiPort}`, minio,
      kubectl: kubectlRaw,
      importImage: (archive) => importImage(p, archive),
      stop,
    };
  } catch (e) {
    const rest = await stop().catch((err: unknown) => [`teardown failed: ${String(err)}`]);
    throw new Error(`${e instanceof Error ? e.message : String(e)}${rest.length > 0 ? `\nleft on the host: ${rest.join('; ')}` : ''}`, { cause: e });
  }
}

/** The versions of the parts, for logs and the closing note. */
export function componentVersions(b: ClusterBinaries): Record<string, string> {
  const v = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
    } catch {
      return '?';
    }
  };
  return {
    kubelet: v(b.kubelet, ['--version']), containerd: v('containerd', ['--version']), runc: v('runc', ['--version']),
  };
}
