// Acceptance (issue 2, "Cairn writes, kopia reads"): on a repository the `cairn` CLI created (filesystem
// and MinIO), the real kopia CLI connects, `kopia snapshot list --all` shows Cairn's snapshots with their
// sources, `kopia snapshot verify --verify-files-percent=100` passes, and `kopia snapshot restore` gives
// back the identical tree (bytes, modes, exact mtimes, symlinks and — as root — owners).
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTrees } from '../fixtures/compare-trees.ts';
import { removeTree, type FixtureSummary } from '../fixtures/fixture-tree.ts';
import { startMinio, type MinioServer } from '../support/minio.ts';
import { requireTool } from '../support/tools.ts';
import { buildAcceptanceTree, IS_ROOT } from './support/acceptance-tree.ts';
import { awsEnv, cairnJson, cairnOk, type CreatedSnapshot } from './support/cairn-cli.ts';
import { connectKopia, kopiaSnapshots, type KopiaStorage } from './support/kopia-repo.ts';

const kopiaBinary = requireTool('kopia');
const minioBinary = requireTool('minio');

let work: string;
let src: string;
let fixture: FixtureSummary;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-kopia-reads-'));
  src = join(work, 'src');
  fixture = await buildAcceptanceTree(src);
});

afterAll(async () => {
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

/** Cairn creates the repository and two snapshots (default source, explicit source); kopia reads them. */
async function cairnWritesKopiaReads(name: string, repoUrl: string, storage: KopiaStorage, env: Record<string, string> = {}): Promise<void> {
  const opts = { env };
  await cairnOk(['repository', 'create', '--repo', repoUrl], opts);
  const first = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, '--repo', repoUrl], opts);
  const second = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, '--repo', repoUrl, '--source', 'tester@e2e-host:/data/fixture'], opts);
  expect(first.snapshot.partial || second.snapshot.partial).toBe(false);

  const kopia = await connectKopia(storage);
  try {
    const listed = await kopiaSnapshots(kopia);
    const byId = new Map(listed.map((s) => [s.id, s]));
    expect([...byId.keys()].sort()).toEqual([first.snapshot.id, second.snapshot.id].sort());
    expect(byId.get(first.snapshot.id)!.source).toEqual({ host: hostname(), userName: userInfo().username, path: src });
    expect(byId.get(second.snapshot.id)!.source).toEqual({ host: 'e2e-host', userName: 'tester', path: '/data/fixture' });
    for (const s of listed) {
      expect(s.stats).toMatchObject({ fileCount: fixture.files, dirCount: fixture.dirs, totalSize: fixture.bytes, errorCount: 0 });
    }
    expect(byId.get(first.snapshot.id)!.rootEntry.obj).toBe(byId.get(second.snapshot.id)!.rootEntry.obj); // deduplicated

    const verify = await kopia.run(['snapshot', 'verify', '--verify-files-percent=100']);
    expect(verify.exitCode, verify.stderr).toBe(0);
    const read = /Read (\d+) files/.exec(verify.stderr.split('\n').filter((l) => l.startsWith('Finished')).join('\n'));
    expect(read, verify.stderr).not.toBeNull();
    expect(Number(read![1])).toBeGreaterThan(0);

    // Both snapshots share one root object (checked above), so restoring one of them covers both.
    const restored = join(work, `${name}-kopia-restored`);
    await kopia.ok(['snapshot', 'restore', second.snapshot.id, restored]);
    expect(await compareTrees(src, restored, { owners: IS_ROOT })).toEqual([]);
  } finally {
    await kopia.cleanup();
  }
}

describe.skipIf(kopiaBinary === undefined)('kopia reads a Cairn repository', () => {
  it('on the filesystem store', async () => {
    const path = join(work, 'fs-repo');
    await cairnWritesKopiaReads('fs', `file://${path}`, { kind: 'filesystem', path });
  });

  describe.skipIf(minioBinary === undefined)('on MinIO', () => {
    let minio: MinioServer;
    beforeAll(async () => {
      minio = await startMinio();
      await minio.createBucket('kopia-reads');
    });
    afterAll(async () => {
      await minio?.stop();
    });

    it('on MinIO', async () => {
      await cairnWritesKopiaReads('s3', minio.url('kopia-reads', 'repo/'), { kind: 's3', minio, bucket: 'kopia-reads', prefix: 'repo/' },
        awsEnv(minio.credentials));
    });
  });
});
