// Acceptance (issue 2, "Unchanged second snapshot"): a second `cairn snapshot create --json` of an
// unchanged tree reads no file contents (its progress counters say bytesRead 0, hashedFiles 0) and the
// repository gains only the snapshot manifest and its metadata: one new `q` pack and one index blob, no
// `p` pack, nothing removed or rewritten — on the filesystem store and on MinIO. A third snapshot after
// one file changed reads exactly that file.
import { lstat, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTree, type FixtureSummary } from '../fixtures/fixture-tree.ts';
import { startMinio, type MinioServer } from '../support/minio.ts';
import { requireTool } from '../support/tools.ts';
import { buildAcceptanceTree, setMtimeNs } from './support/acceptance-tree.ts';
import { blobIdOfPath, diffListings, listTree, S3Lister, type Listing } from './support/blob-listing.ts';
import { awsEnv, cairnJson, cairnOk, type CreatedSnapshot, type ListedSnapshot } from './support/cairn-cli.ts';

const minioBinary = requireTool('minio');

let work: string;
let src: string;
let fixture: FixtureSummary;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-incremental-'));
  src = join(work, 'src');
  fixture = await buildAcceptanceTree(src);
});

afterAll(async () => {
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

/** Blob IDs whose first letter (kopia's blob prefix) is each of p, q, x, ... */
function byPrefix(ids: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const id of ids) (out[id.startsWith('xn') ? 'xn' : id[0]!] ??= []).push(id);
  return out;
}

async function unchangedSecondSnapshot(repoUrl: string, listing: () => Promise<Listing>, toBlobId: (key: string) => string | undefined,
  env: Record<string, string>): Promise<void> {
  const opts = { env };
  await cairnOk(['repository', 'create', '--repo', repoUrl], opts);
  const first = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, '--repo', repoUrl], opts);
  expect(first.progress.hashedFiles).toBe(fixture.files);
  expect(first.progress.bytesRead).toBe(fixture.bytes);

  const before = await listing();
  const second = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, '--repo', repoUrl], opts);
  const after = await listing();

  expect(second.progress).toMatchObject({ bytesRead: 0, hashedFiles: 0, cachedFiles: fixture.files, bytesNew: 0, errors: 0 });
  expect(second.snapshot).toMatchObject({ bytesRead: 0, files: fixture.files, bytes: fixture.bytes, partial: false });
  expect(second.snapshot.id).not.toBe(first.snapshot.id);

  const diff = diffListings(before, after);
  expect(diff.removed).toEqual([]);
  expect(diff.changed.filter((k) => !k.endsWith('/'))).toEqual([]); // directories' mtimes may change, files may not
  expect(diff.added.filter((k) => !k.endsWith('/') && toBlobId(k) === undefined)).toEqual([]); // no temp files left
  const added = diff.added.map((k) => toBlobId(k)).filter((id) => id !== undefined);
  const kinds = byPrefix(added);
  expect(Object.keys(kinds).sort(), added.join(', ')).toEqual(['q', 'xn']);
  expect(kinds['q'], added.join(', ')).toHaveLength(1);
  expect(kinds['xn'], added.join(', ')).toHaveLength(1);

  const listed = await cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--repo', repoUrl], opts);
  expect(listed.map((s) => s.id)).toEqual([first.snapshot.id, second.snapshot.id]);
  expect(listed[1]!.rootObject).toBe(listed[0]!.rootObject); // identical tree, identical directory objects
}

describe('an unchanged second snapshot', () => {
  it('on the filesystem store reads nothing and adds only a q pack and an index blob', async () => {
    const path = join(work, 'fs-repo');
    const repoUrl = `file://${path}`;
    await unchangedSecondSnapshot(repoUrl, () => listTree(path), blobIdOfPath, {});

    // The counters are not stuck at zero: after one file changes, exactly that file is read.
    const changed = join(src, 'names/with space/file with  two spaces.txt');
    const original = { data: await readFile(changed), mtimeNs: (await lstat(changed, { bigint: true })).mtimeNs };
    try {
      await writeFile(changed, 'changed content\n');
      await setMtimeNs(changed, 1_700_000_000_000_001_000n);
      const before = await listTree(path);
      const third = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, '--repo', repoUrl]);
      expect(third.progress).toMatchObject({ hashedFiles: 1, bytesRead: 16, cachedFiles: fixture.files - 1 });
      const added = diffListings(before, await listTree(path)).added.map(blobIdOfPath).filter((id) => id !== undefined);
      expect(Object.keys(byPrefix(added)).sort(), added.join(', ')).toEqual(['p', 'q', 'xn']);
    } finally {
      await writeFile(changed, original.data);
      await setMtimeNs(changed, original.mtimeNs);
    }
  });

  describe.skipIf(minioBinary === undefined)('on MinIO', () => {
    let minio: MinioServer;
    let lister: S3Lister;
    beforeAll(async () => {
      minio = await startMinio();
      await minio.createBucket('incremental');
      lister = new S3Lister(minio);
    });
    afterAll(async () => {
      lister?.destroy();
      await minio?.stop();
    });

    it('reads nothing and adds only a q pack and an index blob', async () => {
      await unchangedSecondSnapshot(minio.url('incremental', 'r/'), () => lister.list('incremental', 'r/'), (k) => k,
        awsEnv(minio.credentials));
    });
  });
});
