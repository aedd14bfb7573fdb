// The registry-free image, proven for real: build the OCI archive, check its structure (digests, sizes,
// config, layer contents and ownership), then import it into a private containerd (Debian's 1.6 + runc) and
// run it the way Kubernetes will: read-only root, user 65532 from the image, /tmp as tmpfs (or absent),
// `cairn repository create` + `snapshot create` + `snapshot restore` on a bind-mounted directory.
// Needs root and containerd, ctr, runc, containerd-shim-runc-v2; without them the containerd part is skipped
// (fails with CAIRN_REQUIRE_TOOLS=1).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResult } from '../../mover/src/contract/mover-result.ts';
import { toolsRequired } from '../support/tools.ts';
import { buildCairnImage, REPO_ROOT, type BuiltImage } from './build-image.ts';
import { APP_DIR, CAIRN_IMAGE_CONFIG, CAIRN_LINK, NODE_PATH } from './cairn-image.ts';
import { isExcluded, pinnedNodeVersion, ZSTD_BINDING } from './cairn-rootfs.ts';
import { MEDIA_TYPES, writeOciArchive } from './oci-archive.ts';
import { containerdTools, startPrivateContainerd, type ExecResult, type PrivateContainerd } from './private-containerd.ts';

const run = promisify(execFile);
const tools = containerdTools();
if (tools.missing !== undefined && toolsRequired()) throw new Error(`the image test needs ${tools.missing} (CAIRN_REQUIRE_TOOLS=1)`);

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

let work: string;
let built: BuiltImage;
let layout: string;

async function sha256File(path: string, gunzip = false): Promise<string> {
  const hash = createHash('sha256');
  if (gunzip) await pipeline(createReadStream(path), createGunzip(), hash);
  else await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

const blob = (digest: string): string => join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

/** `tar -tv` of a gzip layer: [owner, date time, name] per entry. */
async function listLayer(path: string): Promise<{ owner: string; time: string; name: string }[]> {
  const { stdout } = await run('tar', ['--list', '--verbose', '--numeric-owner', '--full-time', '--gzip', '--file', path], { maxBuffer: 256 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(/\s+/);
      return { owner: f[1]!, time: `${f[3]} ${f[4]}`, name: f.slice(5).join(' ').replace(/ -> .*$/, '') };
    });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-image-itest-'));
  built = await buildCairnImage({ out: join(work, 'cairn.oci.tar') });
  layout = join(work, 'layout');
  await mkdir(layout);
  await run('tar', ['--extract', '--file', built.out, '--directory', layout]);
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  console.log(
    `image ${built.name} ${built.manifestDigest}: archive ${mb(built.archiveSize)}, layers ${mb(built.layers.reduce((n, l) => n + l.uncompressedSize, 0))} uncompressed, built in ${(built.durationMs / 1000).toFixed(1)} s`,
  );
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('the image archive', () => {
  it('is an OCI layout (plus Docker manifest.json) whose digests and sizes match its blobs', async () => {
    expect(await readJson(join(layout, 'oci-layout'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = await readJson<{ schemaVersion: number; manifests: Descriptor[] }>(join(layout, 'index.json'));
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests).toHaveLength(1);
    const m = index.manifests[0]!;
    expect(m).toMatchObject({ mediaType: MEDIA_TYPES.manifest, digest: built.manifestDigest });
    expect(m.annotations).toEqual({ 'io.containerd.image.name': 'cairn.dev/cairn:dev', 'org.opencontainers.image.ref.name': 'dev' });
    const manifest = await readJson<{ config: Descriptor; layers: Descriptor[] }>(blob(m.digest));
    const all = [m, manifest.config, ...manifest.layers];
    for (const d of all) {
      expect(await sha256File(blob(d.digest)), d.digest).toBe(d.digest);
      expect((await stat(blob(d.digest))).size, d.digest).toBe(d.size);
    }
    expect((await readdir(join(layout, 'blobs', 'sha256'))).sort()).toEqual(all.map((d) => d.digest.slice(7)).sort());
    expect(manifest.layers.every((l) => l.mediaType === MEDIA_TYPES.layer)).toBe(true);
    const docker = await readJson<{ Config: string; RepoTags: string[]; Layers: string[] }[]>(join(layout, 'manifest.json'));
    expect(docker).toEqual([
      { Config: `blobs/sha256/${manifest.config.digest.slice(7)}`, RepoTags: ['cairn.dev/cairn:dev'], Layers: manifest.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) },
    ]);
  });

  it('has the config of cairn-image.ts, and diff_ids that are the uncompressed layers', async () => {
    const config = await readJson<{ architecture: string; os: string; config: Record<string, unknown>; rootfs: { diff_ids: string[] } }>(blob(built.configDigest));
    expect(config).toMatchObject({ architecture: 'amd64', os: 'linux' });
    expect(config.config).toEqual({
      User: '65532:65532',
      Env: [...CAIRN_IMAGE_CONFIG.env],
      Entrypoint: ['cairn'],
      Cmd: ['--help'],
      WorkingDir: '/app',
    });
    expect(config.rootfs.diff_ids).toEqual(await Promise.all(built.layers.map((l) => sha256File(blob(l.digest), true))));
  });

  it('layers hold node, cairn and the compiled zstd binding, owned by root with fixed mtimes, and no tests', async () => {
    const entries = (await Promise.all(built.layers.map((l) => listLayer(blob(l.digest))))).flat();
    expect(entries.filter((e) => e.owner !== '0/0')).toEqual([]);
    expect(entries.filter((e) => e.time !== '1970-01-01 00:00:00')).toEqual([]);
    const names = new Set(entries.map((e) => e.name.replace(/\/$/, '')));
    for (const p of [NODE_PATH, CAIRN_LINK.path, `${APP_DIR}/bin/cairn.mjs`, `${APP_DIR}/package.json`, `${APP_DIR}/operator/src/main.ts`, `${APP_DIR}/${ZSTD_BINDING}`, '/etc/passwd', '/tmp']) {
      expect(names.has(p.slice(1)), p).toBe(true);
    }
    const app = [...names].filter((n) => n.startsWith('app/mover/') || n.startsWith('app/operator/'));
    expect(app.length).toBeGreaterThan(100);
    expect(app.filter((n) => isExcluded(n.slice('app/'.length)) || /\.i?test\.ts$/.test(n))).toEqual([]);
    expect([...names].filter((n) => /^app\/node_modules\/(vitest|typescript|eslint|node)\//.test(n))).toEqual([]);
  });

  it('the same directory and config give the same bytes', async () => {
    const dir = join(work, 'tiny');
    await mkdir(join(dir, 'bin'), { recursive: true });
    await writeFile(join(dir, 'bin', 'pause'), 'not really a binary\n', { mode: 0o755 });
    const write = (out: string): Promise<unknown> => writeOciArchive({ layers: [dir], config: { entrypoint: ['/pause'] }, name: 'registry.k8s.io/pause:3.10', out });
    await write(join(work, 'a.tar'));
    await writeFile(join(dir, 'bin', 'pause'), 'not really a binary\n'); // new mtime, same content
    await write(join(work, 'b.tar'));
    expect(await sha256File(join(work, 'b.tar'))).toBe(await sha256File(join(work, 'a.tar')));
    await expect(writeOciArchive({ layers: [dir], config: {}, name: 'no-tag', out: join(work, 'c.tar') })).rejects.toThrow(/not a lower-case reference with a tag/);
  });
});

describe.skipIf(tools.missing !== undefined)('the image in a private containerd', () => {
  let ctrd: PrivateContainerd | undefined;
  let data: string;
  const image = 'cairn.dev/cairn:dev';
  const password = `image-test-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    ctrd = await startPrivateContainerd();
    data = join(work, 'data');
    await mkdir(join(data, 'src', 'sub'), { recursive: true });
    await writeFile(join(data, 'src', 'a.txt'), 'hello from the host\n');
    await writeFile(join(data, 'src', 'sub', 'random.bin'), randomBytes(3_000_000));
    await writeFile(join(data, 'src', 'sub', 'text.txt'), 'cairn compresses this line with zstd\n'.repeat(50_000));
    await mkdir(join(data, 'out'));
    await chown(join(data, 'out'), 65532, 65532);
  });

  afterAll(async () => {
    if (ctrd === undefined) return;
    await ctrd.stop();
    expect(await ctrd.leftovers()).toEqual([]);
  });

  const cairn = (args: readonly string[], env: Record<string, string> = { CAIRN_PASSWORD: password }): Promise<ExecResult> =>
    ctrd!.run({
      image,
      readOnly: true,
      args: ['cairn', ...args],
      env,
      mounts: ['type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:mode=1777', `type=bind,src=${data},dst=/data,options=rbind:rw`],
    });

  it('ctr images import accepts the archive under its name and digest', async () => {
    const imported = await ctrd!.ctr(['images', 'import', built.out], 300_000);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`unpacking ${image} (${built.manifestDigest})...done`);
    const ls = await ctrd!.ctr(['images', 'ls']);
    expect(ls.stdout).toMatch(new RegExp(`^${image.replaceAll('.', '\\.')}\\s+\\S+\\s+${built.manifestDigest}\\s`, 'm'));
  });

  it('runs cairn --help and node as 65532 (cairn) with a read-only root and no /tmp at all', async () => {
    const help = await ctrd!.run({ image, readOnly: true, args: [] });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: cairn <command>');
    const probe = await ctrd!.run({
      image,
      readOnly: true,
      args: [
        'node',
        '-e',
        "const os=require('os'),fs=require('fs');let w='written';try{fs.writeFileSync('/app/x','y')}catch(e){w=e.code}" +
          ";console.log(JSON.stringify({uid:process.getuid(),gid:process.getgid(),user:os.userInfo().username,node:process.version,cwd:process.cwd(),env:process.env.NODE_ENV,write:w,zstd:typeof require('/app/node_modules/zstd-napi').compress}))",
      ],
    });
    expect(probe.code, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toEqual({
      uid: 65532,
      gid: 65532,
      user: 'cairn',
      node: `v${await pinnedNodeVersion(REPO_ROOT)}`,
      cwd: '/app',
      env: 'production',
      write: 'EROFS',
      zstd: 'function',
    });
  });

  it('loads every module of the operator from /app', async () => {
    const r = await ctrd!.run({
      image,
      readOnly: true,
      args: ['node', '--input-type=module', '-e', "await import('/app/operator/src/operator.ts'); console.log('operator modules loaded')"],
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('operator modules loaded');
  });

  it('creates a repository, snapshots and restores a bind-mounted directory', async () => {
    const created = await cairn(['repository', 'create', '--repo', 'file:///data/out/repo']);
    expect(created.code, created.stderr).toBe(0);
    const snap = await cairn(['snapshot', 'create', '/data/src', '--repo', 'file:///data/out/repo', '--result-file', '/data/out/snapshot.json']);
    expect(snap.code, snap.stderr).toBe(0);
    const result = decodeResult(await readFile(join(data, 'out', 'snapshot.json'), 'utf8'));
    expect(result).toMatchObject({ ok: true, code: 'OK', command: 'snapshot create' });
    expect(result.snapshot!.source).toMatch(/^cairn@[^:]+:\/data\/src$/);
    expect(result.snapshot!.files).toBe(3);
    // The 1.85 MB text file compresses (zstd through the image's compiled binding), the random one cannot.
    expect(result.snapshot!.bytesUploaded).toBeLessThan(result.snapshot!.bytes - 1_500_000);

    const restored = await cairn(['snapshot', 'restore', 'latest', '/data/out/restored', '--repo', 'file:///data/out/repo']);
    expect(restored.code, restored.stderr).toBe(0);
    for (const f of ['a.txt', 'sub/random.bin', 'sub/text.txt']) {
      expect((await readFile(join(data, 'out', 'restored', f))).equals(await readFile(join(data, 'src', f))), f).toBe(true);
    }

    const wrong = await cairn(['snapshot', 'list', '--repo', 'file:///data/out/repo'], { CAIRN_PASSWORD: 'not-the-password' });
    expect(wrong.code).toBe(10);
    // the error and its hint end stderr (the storage summary is logged before them)
    expect(wrong.stderr.trimEnd().split('\n').slice(-2)[0]).toMatch(/^cairn: error: .*password/i);
    expect(wrong.stderr).not.toMatch(/\n\s+at /); // no stack trace
    for (const r of [created, snap, restored, wrong]) expect(`${r.stdout}${r.stderr}`).not.toContain(password);
  });

  // Last on purpose: a container still running when the suite ends (as after a failed test) must be
  // cleaned up by stop() in afterAll — its processes, mounts, cgroup and shim socket, checked there.
  it('leaves a running container behind for stop() to clean up', async () => {
    const sleeper = ctrd!.run({ image, readOnly: true, args: ['node', '-e', 'setInterval(() => {}, 1000)'] });
    const deadline = Date.now() + 60_000;
    let tasks = '';
    while (!/\sRUNNING\b/.test(tasks) && Date.now() < deadline) {
      tasks = (await ctrd!.ctr(['tasks', 'ls'])).stdout;
      if (!/\sRUNNING\b/.test(tasks)) await new Promise((r) => setTimeout(r, 200));
    }
    expect(tasks).toMatch(/\sRUNNING\b/);
    const left = await ctrd!.leftovers();
    expect(left.some((l) => l.startsWith('process '))).toBe(true);
    expect(left.some((l) => l.startsWith('mount '))).toBe(true);
    expect(left.some((l) => l.startsWith('/sys/fs/cgroup/'))).toBe(true);
    void sleeper.then(() => undefined); // ends (killed) in afterAll
  });
});
