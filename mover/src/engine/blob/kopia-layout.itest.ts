// The blob layer against the real kopia CLI: our filesystem store must see exactly the blobs (IDs, lengths,
// mtimes) kopia reports for a repository kopia wrote, and kopia must be able to open, list and restore a
// repository whose blobs were written through our filesystem and S3 stores (layout, `.shards`, `.f`,
// S3 key = prefix + blob ID). The repository format itself is not ours here: blobs are copied verbatim.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKopia, type Kopia } from '../../../../e2e/support/kopia.ts';
import { startMinio, type MinioServer } from '../../../../e2e/support/minio.ts';
import { requireTool } from '../../../../e2e/support/tools.ts';
import { listAll, type BlobStore } from './blob-store.ts';
import { createFilesystemStore } from './filesystem-store.ts';
import { S3BlobStore } from './s3-store.ts';

const kopiaBinary = requireTool('kopia');
const minioBinary = requireTool('minio');

interface KopiaBlob {
  id: string;
  length: number;
  timestamp: string;
}

async function copyAll(from: BlobStore, to: BlobStore): Promise<number> {
  let n = 0;
  for (const m of await listAll(from, '')) {
    await to.put(m.id, await from.get(m.id));
    n++;
  }
  return n;
}

async function restoredFiles(kopia: Kopia, dest: string): Promise<Record<string, string>> {
  const snaps = await kopia.json<{ id: string }[]>(['snapshot', 'list', '--all']);
  expect(snaps.length).toBe(1);
  await kopia.ok(['snapshot', 'restore', snaps[0]!.id, dest]);
  const out: Record<string, string> = {};
  for (const name of (await readdir(dest)).sort()) out[name] = (await readFile(join(dest, name))).toString('hex');
  return out;
}

describe.skipIf(kopiaBinary === undefined)('blob layout interop with kopia', () => {
  let work: string;
  let kopia: Kopia;
  let kopiaRepo: string;
  let source: Record<string, string>;
  let kopiaBlobs: KopiaBlob[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cairn-kopia-layout-'));
    kopia = await createKopia({ binary: kopiaBinary! });
    const src = join(work, 'src');
    await mkdir(src);
    source = { 'big.bin': randomBytes(3_000_000).toString('hex'), 'small.txt': Buffer.from('hello kopia\n').toString('hex') };
    for (const [name, hex] of Object.entries(source)) await writeFile(join(src, name), Buffer.from(hex, 'hex'));
    kopiaRepo = join(work, 'kopia-repo');
    await kopia.ok(['repository', 'create', 'filesystem', `--path=${kopiaRepo}`]);
    await kopia.ok(['snapshot', 'create', src]);
    kopiaBlobs = await kopia.json<KopiaBlob[]>(['blob', 'list']);
    await kopia.ok(['repository', 'disconnect']);
  });
  afterAll(async () => {
    await kopia?.cleanup();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('lists exactly the blobs kopia lists, with the same lengths, mtimes and bytes', async () => {
    const store = await createFilesystemStore(kopiaRepo);
    expect(store.shardParameters.defaultShards).toEqual([1, 3]);
    const ours = await listAll(store, '');
    const byId = new Map(ours.map((m) => [m.id, m]));
    expect([...byId.keys()].sort()).toEqual(kopiaBlobs.map((b) => b.id).sort());
    expect(kopiaBlobs.some((b) => b.id.startsWith('p'))).toBe(true);
    expect(kopiaBlobs.some((b) => b.id.startsWith('xn0_'))).toBe(true);
    for (const b of kopiaBlobs) {
      const m = byId.get(b.id)!;
      expect(m.length).toBe(b.length);
      expect(Math.abs(m.timestamp.getTime() - Date.parse(b.timestamp))).toBeLessThan(2);
      expect((await store.get(b.id)).length).toBe(b.length);
    }
    expect((await listAll(store, 'xn')).map((m) => m.id).sort()).toEqual(kopiaBlobs.filter((b) => b.id.startsWith('xn')).map((b) => b.id).sort());
  });

  it('kopia opens and restores a repository whose blobs our filesystem store wrote', async () => {
    const from = await createFilesystemStore(kopiaRepo);
    const copyPath = join(work, 'cairn-fs-copy');
    const to = await createFilesystemStore(copyPath, { create: true });
    expect(await copyAll(from, to)).toBe(kopiaBlobs.length);
    await kopia.ok(['repository', 'connect', 'filesystem', `--path=${copyPath}`]);
    try {
      const listed = await kopia.json<KopiaBlob[]>(['blob', 'list']);
      expect(listed.map((b) => b.id).sort()).toEqual(kopiaBlobs.map((b) => b.id).sort());
      await kopia.ok(['snapshot', 'verify', '--verify-files-percent=100']);
      expect(await restoredFiles(kopia, join(work, 'restore-fs'))).toEqual(source);
    } finally {
      await kopia.run(['repository', 'disconnect']);
    }
  });

  describe.skipIf(minioBinary === undefined)('through S3 (MinIO)', () => {
    let minio: MinioServer;
    beforeAll(async () => {
      minio = await startMinio({ binary: minioBinary! });
      await minio.createBucket('kopia-interop');
    });
    afterAll(async () => {
      await minio?.stop();
    });

    it('kopia opens and restores a repository whose blobs our S3 store wrote under a prefix', async () => {
      const from = await createFilesystemStore(kopiaRepo);
      const to = new S3BlobStore({ bucket: 'kopia-interop', prefix: 'team/repo1/', endpoint: minio.endpoint, credentials: minio.credentials });
      expect(await copyAll(from, to)).toBe(kopiaBlobs.length);
      await to.close();
      const env = { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey };
      await kopia.ok(['repository', 'connect', 's3', '--bucket=kopia-interop', '--prefix=team/repo1/',
        `--endpoint=${new URL(minio.endpoint).host}`, '--disable-tls', `--region=${minio.region}`], { env });
      try {
        const listed = await kopia.json<KopiaBlob[]>(['blob', 'list'], { env });
        expect(listed.map((b) => b.id).sort()).toEqual(kopiaBlobs.map((b) => b.id).sort());
        expect(await restoredFiles(kopia, join(work, 'restore-s3'))).toEqual(source);
      } finally {
        await kopia.run(['repository', 'disconnect']);
      }
    });
  });
});
