// What the e2e cluster changes on the host, and how each change is undone: the bridge and veth links, the
// kube-proxy nftables tables and the kubelet's iptables canary chains, kernel settings the kubelet and
// kube-proxy write, cgroups, mounts (volumes, container rootfs, network namespaces) and processes (containerd
// shims, container processes). `leftovers()` lists whatever is still there, so a test can assert that teardown
// left the machine as it found it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterLayout } from './cluster-layout.ts';

function run(cmd: string, args: readonly string[], allowFail = false): string {
  try {
    return execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (allowFail) return '';
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr?.trim() || err.message}`, { cause: e });
  }
}

// ---- network ----

export function createBridge(l: ClusterLayout): void {
  const prefix = l.podCidr.split('/')[1]!;
  if (!linkExists(l.bridge)) run('ip', ['link', 'add', l.bridge, 'type', 'bridge']);
  run('ip', ['addr', 'replace', `${l.hostIp}/${prefix}`, 'dev', l.bridge]);
  run('ip', ['link', 'set', l.bridge, 'up']);
}

function linkExists(name: string): boolean {
  return run('ip', ['-o', 'link', 'show', 'dev', name], true).trim() !== '';
}

/** Links the cluster made: the bridge and any veth still attached to it. */
function clusterLinks(l: ClusterLayout): string[] {
  if (!linkExists(l.bridge)) return [];
  const attached = run('ip', ['-o', 'link', 'show', 'master', l.bridge], true)
    .split('\n').map((line) => /^\d+:\s+([^:@]+)/.exec(line)?.[1]).filter((n): n is string => n !== undefined);
  return [...attached, l.bridge];
}

export function deleteLinks(l: ClusterLayout): void {
  for (const link of clusterLinks(l)) run('ip', ['link', 'delete', link], true);
}

// ---- firewall ----

const NFT_TABLES = [['ip', 'kube-proxy'], ['ip6', 'kube-proxy']] as const;

export function nftTables(): string[] {
  return run('nft', ['list', 'tables'], true).split('\n').map((s) => s.trim()).filter((s) => s !== '');
}

/** iptables chains created by Kubernetes components (the kubelet's KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT, ...). */
function kubeIptablesChains(): string[] {
  const out: string[] = [];
  for (const save of ['iptables-save', 'ip6tables-save']) {
    let table = '';
    for (const line of run(save, [], true).split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      const m = /^:(KUBE-\S+)/.exec(line);
      if (m !== null) out.push(`${save.replace('-save', '')} ${table} ${m[1]}`);
    }
  }
  return out;
}

/** True when a table holds no rules (only empty chains), i.e. iptables-nft made it and nothing uses it. */
function tableIsEmpty(table: string): boolean {
  const body = run('nft', ['list', ...table.split(' ')], true);
  return !body.split('\n').some((line) => {
    const t = line.trim();
    return t !== '' && t !== '}' && !t.startsWith('table ') && !t.startsWith('chain ') && !t.startsWith('type ');
  });
}

/** Removes the tables the cluster's components created (empty ones only: never anything with rules in it). */
export function removeNewEmptyTables(before: readonly string[]): void {
  for (const t of nftTables()) if (!before.includes(t) && tableIsEmpty(t)) run('nft', ['delete', ...t.split(' ')], true);
}

export function cleanFirewall(): void {
  for (const [family, table] of NFT_TABLES) {
    if (nftTables().includes(`table ${family} ${table}`)) run('nft', ['delete', 'table', family, table], true);
  }
  // Rules that jump to KUBE-* chains first, then the chains themselves.
  for (const save of ['iptables-save', 'ip6tables-save']) {
    const bin = save.replace('-save', '');
    let table = '';
    for (const line of run(save, [], true).split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      const m = /^-A (\S+) (.*-j KUBE-\S+.*)$/.exec(line);
      if (m !== null && !m[1]!.startsWith('KUBE-')) run(bin, ['-t', table, '-D', m[1]!, ...splitRule(m[2]!)], true);
    }
    for (const chain of kubeIptablesChains().filter((c) => c.startsWith(`${bin} `))) {
      const [, t, name] = chain.split(' ');
      run(bin, ['-t', t!, '-F', name!], true);
      run(bin, ['-t', t!, '-X', name!], true);
    }
  }
}

function splitRule(rule: string): string[] {
  return rule.match(/"[^"]*"|\S+/g)?.map((w) => w.replace(/^"|"$/g, '')) ?? [];
}

// ---- kernel settings ----

/** Settings the kubelet (protectKernelDefaults=false) and kube-proxy may change; restored on teardown. */
export const WATCHED_SYSCTLS = [
  'vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops', 'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes',
  'net/ipv4/conf/all/route_localnet', 'net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables',
  'net/netfilter/nf_conntrack_max', 'net/netfilter/nf_conntrack_tcp_timeout_established', 'net/netfilter/nf_conntrack_tcp_timeout_close_wait',
];

export function readSysctls(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of WATCHED_SYSCTLS) {
    try {
      out[k] = readFileSync(join('/proc/sys', k), 'utf8').trim();
    } catch {
      // not present on this kernel
    }
  }
  return out;
}

export function restoreSysctls(saved: Readonly<Record<string, string>>): void {
  const now = readSysctls();
  for (const [k, v] of Object.entries(saved)) {
    if (now[k] !== v) {
      try {
        writeFileSync(join('/proc/sys', k), v);
      } catch {
        // read-only here; leftovers() reports it
      }
    }
  }
}

// ---- cgroups (v1: one tree per hierarchy) ----

function cgroupHierarchies(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f.length > 9 && f[f.indexOf('-') + 1] === 'cgroup')
    .map((f) => f[4]!);
}

export function createCgroups(l: ClusterLayout): void {
  for (const h of cgroupHierarchies()) {
    const dir = join(h, l.cgroupRoot);
    if (!existsSync(dir)) run('mkdir', ['-p', dir]);
  }
}

function cgroupDirs(l: ClusterLayout): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
    out.push(dir);
  };
  for (const h of cgroupHierarchies()) if (existsSync(join(h, l.cgroupRoot))) walk(join(h, l.cgroupRoot));
  return out; // children before parents
}

export function removeCgroups(l: ClusterLayout): void {
  for (const dir of cgroupDirs(l)) {
    try {
      rmdirSync(dir);
    } catch {
      // still has processes; leftovers() reports it
    }
  }
}

// ---- mounts and processes ----

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')[4]).filter((m): m is string => m !== undefined && m !== '')
    .map((m) => m.replace(/\\040/g, ' '));
}

function clusterMounts(prefixes: readonly string[]): string[] {
  return mountPoints().filter((m) => prefixes.some((p) => m === p || m.startsWith(`${p}/`)));
}

export function unmountAll(prefixes: readonly string[]): void {
  for (let round = 0; round < 5; round++) {
    const mounts = clusterMounts(prefixes).sort((a, b) => b.length - a.length);
    if (mounts.length === 0) return;
    for (const m of mounts) {
      if (run('umount', [m], true) === '' && clusterMounts([m]).includes(m)) run('umount', ['-l', m], true);
    }
  }
}

/** Processes whose command line mentions one of the cluster's directories (containerd shims among them). */
function clusterProcesses(needles: readonly string[]): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    if (needles.some((n) => cmd.includes(n))) out.push({ pid: Number(name), cmd });
  }
  return out;
}

/** PIDs of the processes in the cluster's cgroups (container processes outlive a killed shim). */
function cgroupProcesses(l: ClusterLayout): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(l)) {
    try {
      for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (p !== '') pids.add(Number(p));
    } catch {
      // gone
    }
  }
  return [...pids];
}

export function clusterProcessCount(l: ClusterLayout, needles: readonly string[]): number {
  return clusterProcesses(needles).length + cgroupProcesses(l).length;
}

/** SIGTERM to every cluster process, then wait up to timeoutMs for them to go (SIGKILL comes after). */
export async function terminateClusterProcesses(l: ClusterLayout, needles: readonly string[], timeoutMs: number): Promise<void> {
  for (const { pid } of clusterProcesses(needles)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (clusterProcesses(needles).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

export function killClusterProcesses(l: ClusterLayout, needles: readonly string[]): void {
  for (const { pid } of clusterProcesses(needles)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const pid of cgroupProcesses(l)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Everything of the cluster still on the host; empty after a clean teardown. */
export function leftovers(l: ClusterLayout, needles: readonly string[], sysctls: Readonly<Record<string, string>> | undefined,
  tablesBefore?: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of clusterProcesses(needles)) out.push(`process ${p.pid}: ${p.cmd.slice(0, 160)}`);
  for (const pid of cgroupProcesses(l)) out.push(`process ${pid} in cgroup ${l.cgroupRoot}`);
  for (const m of clusterMounts([...needles.filter((n) => n.startsWith('/'))])) out.push(`mount ${m}`);
  for (const link of clusterLinks(l)) out.push(`link ${link}`);
  for (const t of nftTables()) if (NFT_TABLES.some(([f, n]) => t === `table ${f} ${n}`)) out.push(`nftables ${t}`);
  for (const c of kubeIptablesChains()) out.push(`iptables chain ${c}`);
  if (tablesBefore !== undefined) for (const t of nftTables()) if (!tablesBefore.includes(t)) out.push(`nftables ${t} (not there before)`);
  for (const d of cgroupDirs(l)) out.push(`cgroup ${d}`);
  if (sysctls !== undefined) {
    const now = readSysctls();
    for (const [k, v] of Object.entries(sysctls)) if (now[k] !== v) out.push(`sysctl ${k} = ${now[k] ?? '?'} (was ${v})`);
  }
  for (const d of needles.filter((n) => n.startsWith('/'))) if (existsSync(d) && statSync(d).isDirectory()) out.push(`directory ${d}`);
  return out;
}
