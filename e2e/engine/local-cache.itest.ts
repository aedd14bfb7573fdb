// Acceptance (issue 10, local cache): with `--cache-dir`, an unchanged backup on MinIO downloads none of the
// index blobs and metadata packs it has seen before — counted at the HTTP level by a proxy in front of MinIO,
// not by Cairn's own report — and after another client wrote, it downloads exactly what that client added.
// The repository itself is untouched by the cache: the same blob kinds as without one, nothing extra, and
// the real kopia CLI lists and verifies every snapshot.
import { mkdtemp, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTree } from '../fixtures/fixture-tree.ts';
import { startMinio, type MinioServer } from '../support/minio.ts';
import { requireTool } from '../support/tools.ts';
import { diffListings, S3Lister } from './support/blob-listing.ts';
import { awsEnv, cairnJson, cairnOk, humanStderr, logRecords, type CreatedSnapshot } from './support/cairn-cli.ts';
import { startCountingProxy, type CountingProxy } from './support/counting-proxy.ts';
import { connectKopia, kopiaSnapshots } from './support/kopia-repo.ts';

const minioBinary = requireTool('minio');
const kopiaBinary = requireTool('kopia');
const BUCKET = 'cache';
const PREFIX = 'r/';

interface StorageJson {
  readonly gets: number;
  readonly lists: number;
  readonly cache?: { readonly hits: number; readonly misses: number; readonly invalid: number };
}
type CreatedWithStorage = CreatedSnapshot & { readonly storage: StorageJson };

let work: string;
let src: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-cache-'));
  src = join(work, 'src');
  for (let d = 0; d < 5; d++) {
    await mkdir(join(src, `dir${d}`), { recursive: true });
    for (let f = 0; f < 20; f++) await writeFile(join(src, `dir${d}`, `file${f}.txt`), `directory ${d} file ${f}\n`.repeat(f + 1));
  }
});

afterAll(async () => {
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

describe.skipIf(minioBinary === undefined)('the local cache on MinIO', () => {
  let minio: MinioServer;
  let proxy: CountingProxy;
  let lister: S3Lister;
  beforeAll(async () => {
    minio = await startMinio();
    await minio.createBucket(BUCKET);
    proxy = await startCountingProxy(minio.endpoint);
    lister = new S3Lister(minio);
  });
  afterAll(async () => {
    await proxy?.close();
    lister?.destroy();
    await minio?.stop();
  });

  /** Blob IDs of the object GETs (not listings) the proxy saw since the last reset. */
  const objectGets = (): string[] => proxy.requests
    .map((r) => /^GET \/([^/?]+)\/([^?]+)/.exec(r))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === BUCKET && m[2]!.startsWith(PREFIX))
    .map((m) => decodeURIComponent(m[2]!.slice(PREFIX.length)));
  const metadataGets = (): string[] => objectGets().filter((id) => /^(q|x|n)/.test(id)).sort();

  it('downloads no index blob or metadata pack it already has, and exactly what another client added', async () => {
    const repoUrl = `s3://${BUCKET}/${PREFIX}?endpoint=${encodeURIComponent(proxy.endpoint)}&region=${minio.region}`;
    const env = awsEnv(minio.credentials);
    const cacheDir = join(work, 'cache');
    const create = (extra: readonly string[], extraEnv: Record<string, string> = {}): Promise<CreatedWithStorage> =>
      cairnJson<CreatedWithStorage>(['snapshot', 'create', src, '--repo', repoUrl, ...extra], { env: { ...env, ...extraEnv } });

    const created = await cairnJson<{ uniqueId: string }>(['repository', 'create', '--repo', repoUrl], { env });
    const first = await create(['--cache-dir', cacheDir]);
    expect(first.snapshot.partial).toBe(false);

    // Unchanged backup with the cache (given through the environment this time): no metadata downloads.
    proxy.reset();
    const before = await lister.list(BUCKET, PREFIX);
    const secondRun = await cairnOk(['snapshot', 'create', src, '--repo', repoUrl, '--json'], { env: { ...env, CAIRN_CACHE_DIR: cacheDir } });
    const second = JSON.parse(secondRun.stdout) as CreatedWithStorage;
    // one info record at the end says what the run cost; nothing for people on stderr
    const storageLogs = logRecords(secondRun.stderr).filter((r) => String(r['msg']).startsWith('storage: '));
    expect(storageLogs).toHaveLength(1);
    expect(storageLogs[0]!['msg']).toMatch(/^storage: \d+ gets \(.+\), \d+ lists, .*cache [1-9]\d* hits \/ 0 misses$/);
    expect(humanStderr(secondRun.stderr)).toEqual([]);
    expect(second.progress).toMatchObject({ bytesRead: 0, hashedFiles: 0 });
    expect(metadataGets()).toEqual([]);
    expect(second.storage.cache).toMatchObject({ misses: 0, invalid: 0 });
    expect(second.storage.cache!.hits).toBeGreaterThan(0);
    // the cache changes nothing in the repository: an unchanged backup adds one q pack and one index blob
    const added = diffListings(before, await lister.list(BUCKET, PREFIX)).added;
    expect(added.map((k) => k[0] === 'x' ? k.slice(0, 2) : k[0]).sort(), added.join(', ')).toEqual(['q', 'xn']);

    // The same backup without a cache downloads metadata (the counter above could have failed).
    proxy.reset();
    const beforeUncached = await lister.list(BUCKET, PREFIX);
    const uncached = await create([]);
    expect(metadataGets().length).toBeGreaterThan(0);
    expect(uncached.storage.cache).toBeUndefined();
    expect(uncached.storage.gets).toBe(objectGets().length);
    const foreign = diffListings(beforeUncached, await lister.list(BUCKET, PREFIX)).added.filter((k) => /^(q|x)/.test(k)).sort();
    expect(foreign).toHaveLength(2);

    // The cached client now downloads exactly the index blob and the q pack the other client added.
    proxy.reset();
    const third = await create(['--cache-dir', cacheDir]);
    expect(metadataGets()).toEqual(foreign);
    expect(third.storage.cache).toMatchObject({ misses: 2, invalid: 0 });

    // The cache holds the repository's current index blobs and metadata packs, under its unique ID only.
    expect(await readdir(cacheDir)).toEqual([created.uniqueId]);
    const inStorage = [...(await lister.list(BUCKET, PREFIX)).keys()].filter((k) => /^(q|xn)/.test(k)).sort();
    expect((await readdir(join(cacheDir, created.uniqueId, 'blobs'))).sort()).toEqual(inStorage);

    if (kopiaBinary !== undefined) {
      const kopia = await connectKopia({ kind: 's3', minio, bucket: BUCKET, prefix: PREFIX });
      try {
        const ids = (await kopiaSnapshots(kopia)).map((s) => s.id).sort();
        expect(ids).toEqual([first, second, uncached, third].map((s) => s.snapshot.id).sort());
        const verify = await kopia.run(['snapshot', 'verify', '--verify-files-percent=100']);
        expect(verify.exitCode, verify.stderr).toBe(0);
      } finally {
        await kopia.cleanup();
      }
    }
  });
});
