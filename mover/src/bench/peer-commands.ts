// The command lines of cairn, restic and kopia for the extra bench runs, with the same flags and environment
// as the shared peers.sh (encrypted repositories, kopia with zstd, caches inside the scratch dir), so the
// figures compare with the side-by-side table.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool } from '../../../e2e/support/tools.ts';

export type PeerName = 'cairn' | 'restic' | 'kopia';

export type RepoTarget =
  | { readonly kind: 'file'; readonly dir: string }
  | { readonly kind: 's3'; readonly endpoint: string; readonly region: string; readonly bucket: string; readonly prefix: string;
      readonly accessKey: string; readonly secretKey: string;
      /** The CA bundle of an https endpoint with a self-signed certificate (cairn only). */
      readonly ca?: string | undefined };

export interface Peer {
  readonly name: PeerName;
  readonly env: NodeJS.ProcessEnv;
  /** Commands that create the repository (not timed). */
  readonly init: readonly (readonly string[])[];
  backup(src: string, resultFile?: string): string[];
  /** The command that restores the newest snapshot of `src` into `out`. */
  restoreLatest(src: string, out: string): string[];
}

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const PASSWORD = 'bench-password';

/** The peers that can run here: cairn always, restic and kopia when installed (pinned builds first). */
export function availablePeers(): Map<PeerName, string> {
  const found = new Map<PeerName, string>([['cairn', join(projectRoot, 'bin/cairn.mjs')]]);
  const kopia = findTool('kopia');
  if (kopia !== undefined) found.set('kopia', kopia);
  const restic = findTool('restic');
  if (restic !== undefined) found.set('restic', restic);
  return found;
}

export function makePeer(name: PeerName, binary: string, work: string, repo: RepoTarget): Peer {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CAIRN_PASSWORD: PASSWORD, RESTIC_PASSWORD: PASSWORD, KOPIA_PASSWORD: PASSWORD,
    RESTIC_CACHE_DIR: join(work, 'cache/restic'), CAIRN_CACHE_DIR: join(work, 'cache/cairn'),
    KOPIA_CACHE_DIRECTORY: join(work, 'cache/kopia'), KOPIA_CHECK_FOR_UPDATES: 'false',
    ...(repo.kind === 's3' ? { AWS_ACCESS_KEY_ID: repo.accessKey, AWS_SECRET_ACCESS_KEY: repo.secretKey } : {}),
  };
  if (name === 'cairn') {
    // as users run it: through the shebang (its Node flags), with the pinned Node 24 first on PATH
    env['PATH'] = `${join(projectRoot, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}`;
    const cairn = [binary];
    const url = repo.kind === 'file'
      ? `file://${repo.dir}`
      : `s3://${repo.bucket}/${repo.prefix}?endpoint=${encodeURIComponent(repo.endpoint)}&region=${repo.region}` +
        (repo.ca === undefined ? '' : `&ca=${encodeURIComponent(repo.ca)}`);
    return {
      name, env,
      init: [[...cairn, 'repository', 'create', '--repo', url]],
      backup: (src, resultFile) => [...cairn, 'snapshot', 'create', src, '--repo', url, '--no-progress',
        ...(resultFile === undefined ? [] : ['--result-file', resultFile])],
      restoreLatest: (_src, out) => [...cairn, 'snapshot', 'restore', 'latest', out, '--repo', url, '--no-progress'],
    };
  }
  if (name === 'restic') {
    if (repo.kind !== 'file') throw new Error('bench: restic runs only against a filesystem repository here');
    return {
      name, env,
      init: [[binary, '-r', repo.dir, 'init']],
      backup: (src) => [binary, '-r', repo.dir, 'backup', src],
      restoreLatest: (_src, out) => [binary, '-r', repo.dir, 'restore', 'latest', '--target', out],
    };
  }
  const k = [binary, `--config-file=${join(work, 'kopia/repo.config')}`, `--log-dir=${join(work, 'kopia/logs')}`];
  const create = repo.kind === 'file'
    ? [...k, 'repository', 'create', 'filesystem', `--path=${repo.dir}`]
    : [...k, 'repository', 'create', 's3', `--bucket=${repo.bucket}`, `--prefix=${repo.prefix}`,
        `--endpoint=${new URL(repo.endpoint).host}`, `--region=${repo.region}`,
        ...(new URL(repo.endpoint).protocol === 'http:' ? ['--disable-tls'] : [])];
  return {
    name, env,
    init: [create, [...k, 'policy', 'set', '--global', '--compression=zstd']],
    backup: (src) => [...k, 'snapshot', 'create', src],
    restoreLatest: (src, out) => [...k, 'snapshot', 'restore', latestKopiaSnapshot(k, src, env), out],
  };
}

/** kopia restores by snapshot ID: the newest snapshot of `src` (as peers.sh does). */
function latestKopiaSnapshot(k: readonly string[], src: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(k[0]!, [...k.slice(1), 'snapshot', 'list', src, '--json'], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kopia snapshot list failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  const list = JSON.parse(r.stdout) as { id: string }[];
  const last = list[list.length - 1];
  if (last === undefined) throw new Error(`kopia has no snapshot of ${src}`);
  return last.id;
}
