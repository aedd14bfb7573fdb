// Acceptance (issue 2, bullet 1): the full fixture tree -> `cairn snapshot create` -> `cairn snapshot restore`
// into an empty directory gives back identical bytes, modes (setuid/setgid/sticky), mtimes (exact to the
// ns; the fixture's are µs-aligned), symlink targets (dangling, to a directory), hard links as separate
// files, the 10,000-entry directory, 40-level nesting, a sparse file that stays sparse and — running as
// root — ownership; on the filesystem store and on a real MinIO server.
import { lstat, mkdir, mkdtemp, readdir, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatedBytes, compareTrees } from '../fixtures/compare-trees.ts';
import { removeTree, type FixtureSummary } from '../fixtures/fixture-tree.ts';
import { startMinio, type MinioServer } from '../support/minio.ts';
import { requireTool } from '../support/tools.ts';
import { buildAcceptanceTree, FOREIGN_OWNERS, IS_ROOT } from './support/acceptance-tree.ts';
import { awsEnv, cairnJson, cairnOk, type CreatedSnapshot, type ListedSnapshot } from './support/cairn-cli.ts';

const minioBinary = requireTool('minio');

let work: string;
let src: string;
let fixture: FixtureSummary;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-roundtrip-'));
  src = join(work, 'src');
  fixture = await buildAcceptanceTree(src);
});

afterAll(async () => {
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

/** Everything bullet 1 promises, checked on a restored tree. */
async function expectIdentical(restored: string): Promise<void> {
  expect(await compareTrees(src, restored, { owners: IS_ROOT })).toEqual([]);

  // Spot checks, so a lenient comparison could not hide a loss.
  const mode = async (rel: string): Promise<number> => (await lstat(join(restored, rel))).mode & 0o7777;
  expect(await mode(fixture.paths.setuid)).toBe(0o4755);
  expect(await mode(fixture.paths.setgid)).toBe(0o2755);
  expect(await mode(fixture.paths.stickyDir)).toBe(0o1777);
  expect(await mode('modes/all-bits')).toBe(0o6777);
  expect(await readlink(join(restored, 'links/dangling'))).toBe('does/not/exist');
  expect((await lstat(join(restored, 'links/to-dir'))).isSymbolicLink()).toBe(true);
  expect(await readlink(join(restored, 'links/to-dir'))).toBe('target-dir');
  const [a, b] = await Promise.all(fixture.paths.hardLinks.map((p) => lstat(join(restored, p))));
  expect(a!.isFile() && b!.isFile()).toBe(true);
  expect(a!.ino).not.toBe(b!.ino); // hard links come back as separate files
  expect((await readdir(join(restored, fixture.paths.wideDir))).length).toBe(10_000);
  expect((await lstat(join(restored, fixture.paths.deepest))).isFile()).toBe(true);
  expect(fixture.paths.deepest.split('/').length).toBe(41);
  const srcMtime = (await lstat(join(src, fixture.paths.large), { bigint: true })).mtimeNs;
  expect((await lstat(join(restored, fixture.paths.large), { bigint: true })).mtimeNs).toBe(srcMtime);
  const sparse = await lstat(join(restored, fixture.paths.sparse));
  expect(sparse.size).toBe(96 * 1024 * 1024);
  expect(await allocatedBytes(join(restored, fixture.paths.sparse))).toBeLessThan(sparse.size / 8);
  if (IS_ROOT) {
    for (const o of FOREIGN_OWNERS) {
      const st = await lstat(join(restored, o.path));
      expect(`${o.path} ${st.uid}:${st.gid}`).toBe(`${o.path} ${o.uid}:${o.gid}`);
    }
  }
}

function expectSnapshotOfFixture(created: CreatedSnapshot): void {
  expect(created.snapshot.partial).toBe(false);
  expect(created.failures).toEqual([]);
  expect(created.snapshot.files).toBe(fixture.files);
  expect(created.snapshot.dirs).toBe(fixture.dirs);
  expect(created.snapshot.bytes).toBe(fixture.bytes);
  expect(created.progress.hashedFiles).toBe(fixture.files);
}

describe('round trip on the filesystem store', () => {
  it('restores the fixture tree identically', async () => {
    const repo = `file://${join(work, 'fs-repo')}`;
    await cairnOk(['repository', 'create', '--repo', repo]);
    const created = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, '--repo', repo]);
    expectSnapshotOfFixture(created);
    expect(created.snapshot.source).toMatch(new RegExp(`@.+:${src.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));

    const listed = await cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--repo', repo]);
    expect(listed.map((s) => s.id)).toEqual([created.snapshot.id]);
    expect(listed[0]).toMatchObject({ files: fixture.files, bytes: fixture.bytes, errors: 0, incomplete: '' });

    const restored = join(work, 'fs-restored');
    await cairnOk(['snapshot', 'restore', 'latest', restored, '--repo', repo]);
    await expectIdentical(restored);
  });
});

describe.skipIf(minioBinary === undefined)('round trip on MinIO', () => {
  let minio: MinioServer;

  beforeAll(async () => {
    minio = await startMinio();
    await minio.createBucket('roundtrip');
  });
  afterAll(async () => {
    await minio?.stop();
  });

  it('restores the fixture tree identically (credentials from a directory, then from AWS variables)', async () => {
    const repo = minio.url('roundtrip', 'cairn/');
    const credsDir = join(work, 's3-credentials');
    await mkdir(credsDir);
    await writeFile(join(credsDir, 'AWS_ACCESS_KEY_ID'), `${minio.accessKey}\n`);
    await writeFile(join(credsDir, 'AWS_SECRET_ACCESS_KEY'), `${minio.secretKey}\n`);
    const viaDir = ['--repo', repo, '--s3-credentials-dir', credsDir];

    await cairnOk(['repository', 'create', ...viaDir]);
    const created = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, ...viaDir, '--source', 'e2e@minio-host:/data/fixture']);
    expectSnapshotOfFixture(created);
    expect(created.snapshot.source).toBe('e2e@minio-host:/data/fixture');

    const env = { env: awsEnv(minio.credentials) };
    const listed = await cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--repo', repo], env);
    expect(listed.map((s) => [s.id, s.source])).toEqual([[created.snapshot.id, 'e2e@minio-host:/data/fixture']]);

    const restored = join(work, 's3-restored');
    await cairnOk(['snapshot', 'restore', created.snapshot.id, restored, '--repo', repo], env);
    await expectIdentical(restored);
  });
});
