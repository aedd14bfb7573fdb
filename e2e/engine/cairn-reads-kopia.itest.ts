// Acceptance (issue 2, "Kopia writes, Cairn reads"): repositories created by the real kopia CLI — one with
// kopia's defaults (BLAKE2B-256-128, DYNAMIC-4M-BUZHASH) on the filesystem, one with a global zstd
// compression policy on MinIO — hold kopia snapshots of the fixture tree; `cairn snapshot list` shows them
// and `cairn snapshot restore` gives back the identical tree, also after a second kopia snapshot of a
// changed tree, so that the indexes span several blobs.
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTrees } from '../fixtures/compare-trees.ts';
import { removeTree, seededBytes, type FixtureSummary } from '../fixtures/fixture-tree.ts';
import type { Kopia } from '../support/kopia.ts';
import { startMinio, type MinioServer } from '../support/minio.ts';
import { requireTool } from '../support/tools.ts';
import { buildAcceptanceTree, IS_ROOT, setMtimeNs } from './support/acceptance-tree.ts';
import { fsBlobIds, S3Lister } from './support/blob-listing.ts';
import { awsEnv, cairnJson, cairnOk, type ListedSnapshot } from './support/cairn-cli.ts';
import { createKopiaRepository, kopiaSnapshots, type KopiaStorage } from './support/kopia-repo.ts';

const kopiaBinary = requireTool('kopia');
const minioBinary = requireTool('minio');

let work: string;
let src: string;
let fixture: FixtureSummary;
const kopias: Kopia[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-cairn-reads-'));
  src = join(work, 'src');
  fixture = await buildAcceptanceTree(src);
});

afterAll(async () => {
  for (const k of kopias) await k.cleanup();
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

interface KopiaRepoStatus {
  readonly contentFormat: { readonly hash: string; readonly encryption: string };
  readonly objectFormat: { readonly splitter: string };
}

/**
 * Adds a directory with new data to the source and returns the undo. Every changed entry gets a µs-aligned
 * mtime, because Node (hence Cairn's restore) sets times with µs precision while kopia records ns.
 */
async function changeTree(): Promise<() => Promise<void>> {
  const rootMtime = (await lstat(src, { bigint: true })).mtimeNs;
  const extra = join(src, 'added-later');
  await mkdir(extra);
  await writeFile(join(extra, 'new.bin'), seededBytes('cairn-reads-kopia', 'new', 5 * 1024 * 1024 + 3));
  await writeFile(join(extra, 'small.txt'), 'added between snapshots\n');
  await setMtimeNs(join(extra, 'new.bin'), 1_700_000_000_250_001_000n);
  await setMtimeNs(join(extra, 'small.txt'), 1_700_000_001_000_002_000n);
  await setMtimeNs(extra, 1_700_000_002_123_457_000n);
  await setMtimeNs(src, rootMtime + 1_000_000_000n);
  return async () => {
    await rm(extra, { recursive: true });
    await setMtimeNs(src, rootMtime);
    expect((await lstat(src, { bigint: true })).mtimeNs).toBe(rootMtime);
  };
}

async function kopiaWritesCairnReads(name: string, storage: KopiaStorage, repoUrl: string, env: Record<string, string>,
  indexBlobs: () => Promise<string[]>, policy: readonly string[]): Promise<Kopia> {
  const kopia = await createKopiaRepository(storage);
  kopias.push(kopia);
  const status = await kopia.json<KopiaRepoStatus>(['repository', 'status']);
  expect(status.contentFormat.hash).toBe('BLAKE2B-256-128');
  expect(status.objectFormat.splitter).toBe('DYNAMIC-4M-BUZHASH');
  if (policy.length > 0) await kopia.ok(['policy', 'set', '--global', ...policy]);

  await kopia.ok(['snapshot', 'create', src]);
  const undo = await changeTree();
  const changed = join(work, `${name}-changed-source`);
  try {
    await kopia.ok(['snapshot', 'create', src]);
    // Keep an exact image of the changed tree to compare the second restore with.
    await cairnOk(['snapshot', 'restore', 'latest', changed, '--repo', repoUrl], { env });
    expect(await compareTrees(src, changed, { owners: IS_ROOT })).toEqual([]);
  } finally {
    await undo();
  }
  const indexes = await indexBlobs();
  expect(indexes.length, indexes.join(', ')).toBeGreaterThanOrEqual(2);

  const kopiaList = await kopiaSnapshots(kopia);
  expect(kopiaList).toHaveLength(2);
  const listed = await cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--repo', repoUrl], { env });
  expect(listed.map((s) => s.id).sort()).toEqual(kopiaList.map((s) => s.id).sort());
  const [older, newer] = [...listed].sort((a, b) => a.startTime.localeCompare(b.startTime));
  for (const s of listed) expect(s.source).toBe(`${userInfo().username}@${hostname()}:${src}`);
  for (const k of kopiaList) {
    const s = listed.find((l) => l.id === k.id)!;
    expect(s).toMatchObject({ files: k.stats.fileCount, dirs: k.stats.dirCount, bytes: k.stats.totalSize, errors: 0, rootObject: k.rootEntry.obj });
  }
  expect(older).toMatchObject({ files: fixture.files, bytes: fixture.bytes });

  const first = join(work, `${name}-first`);
  await cairnOk(['snapshot', 'restore', older!.id, first, '--repo', repoUrl], { env });
  expect(await compareTrees(src, first, { owners: IS_ROOT })).toEqual([]);
  // "latest" above resolved to the newer snapshot; check it against the ID-addressed restore too.
  const second = join(work, `${name}-second`);
  await cairnOk(['snapshot', 'restore', newer!.id, second, '--repo', repoUrl], { env });
  expect(await compareTrees(changed, second, { owners: IS_ROOT })).toEqual([]);

  await cairnOk(['snapshot', 'verify', '--read-data-percent', '100', '--repo', repoUrl], { env });
  return kopia;
}

describe.skipIf(kopiaBinary === undefined)('Cairn reads kopia repositories', () => {
  it('with kopia defaults on the filesystem store', async () => {
    const path = join(work, 'fs-repo');
    await kopiaWritesCairnReads('fs', { kind: 'filesystem', path }, `file://${path}`, {},
      async () => (await fsBlobIds(path)).filter((id) => id.startsWith('xn')), []);
  });

  describe.skipIf(minioBinary === undefined)('on MinIO', () => {
    let minio: MinioServer;
    let lister: S3Lister;
    beforeAll(async () => {
      minio = await startMinio();
      await minio.createBucket('kopia-wrote');
      lister = new S3Lister(minio);
    });
    afterAll(async () => {
      lister?.destroy();
      await minio?.stop();
    });

    it('with a global zstd compression policy', async () => {
      const kopia = await kopiaWritesCairnReads('s3', { kind: 's3', minio, bucket: 'kopia-wrote', prefix: 'k/' },
        minio.url('kopia-wrote', 'k/'), awsEnv(minio.credentials),
        async () => [...(await lister.list('kopia-wrote', 'k/')).keys()].filter((k) => k.startsWith('xn')), ['--compression=zstd']);
      const stats = await kopia.ok(['content', 'stats']);
      expect(stats.stdout).toMatch(/^\s+zstd\s+count: [1-9]/m); // file data really is zstd-compressed
    });
  });
});
