// Acceptance (issue 3): with S3 credentials that may read, list and write but not delete (MinIO STS
// session policy), `snapshot expire`, `snapshot delete` and maintenance fail with APPEND_ONLY and a clear
// message before changing anything, while `snapshot create` (and restore) keep working.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBlobStore } from '../../mover/src/engine/blob/open-blob-store.ts';
import { awsEnv } from '../engine/support/cairn-cli.ts';
import { startMinio, type MinioServer } from '../support/minio.ts';
import { requireTool } from '../support/tools.ts';
import { SOURCE, compareWithState, newScenario, writeTreeState, type Scenario, type TreeOptions } from './support/scenario.ts';

const minioBinary = requireTool('minio');
const BUCKET = 'append-only';
const TREE: TreeOptions = { seed: 'append-only', stableBytes: 300_000, changingBytes: 200_000 };

describe.skipIf(minioBinary === undefined)('append-only S3 credentials', () => {
  let minio: MinioServer;
  let s: Scenario;
  let root: Record<string, string>;
  let appendOnly: Record<string, string>;

  beforeAll(async () => {
    minio = await startMinio({ binary: minioBinary! });
    await minio.createBucket(BUCKET);
    root = awsEnv(minio.credentials);
    s = await newScenario('append-only', minio.url(BUCKET, 'repo/'), root);
    for (let i = 0; i < 3; i++) await s.snapshot(i, TREE);
    appendOnly = awsEnv(await minio.appendOnlyCredentials(BUCKET));
  }, 300_000);

  afterAll(async () => {
    await s?.cleanup();
    await minio?.stop();
  });

  async function listing(): Promise<string[]> {
    const store = await openBlobStore(minio.url(BUCKET, 'repo/'), { credentials: minio.credentials });
    const out: string[] = [];
    for await (const b of store.list('')) out.push(`${b.id} ${b.length} ${b.timestamp.toISOString()}`);
    await store.close();
    return out.sort();
  }

  it('refuses expire, delete and maintenance before changing anything', async () => {
    const before = await listing();
    const ids = (await s.list()).map((x) => x.id);
    const attempts: [string[], string][] = [
      [['snapshot', 'expire', '--keep-latest', '1', '--apply'], 'snapshot expire'],
      [['snapshot', 'delete', ids[0]!], 'snapshot delete'],
      [['maintenance', 'run', '--full'], 'maintenance run --full'],
      [['maintenance', 'run'], 'maintenance run'],
    ];
    for (const [args, op] of attempts) {
      const r = await s.cairn([...args, '--log-level', 'error'], { env: appendOnly });
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(23); // APPEND_ONLY
      expect(r.stderr).toContain(`${op} needs to delete`);
      expect(r.stderr).toMatch(/refuses deletes/);
      expect(r.stderr).toMatch(/nothing was changed/);
      expect(r.stderr).toMatch(/hint: .*credentials that may delete/);
      expect(await listing()).toEqual(before);
    }
    // a dry run needs no delete permission
    const dry = await s.cairnJson<{ sources: unknown[] }>(['snapshot', 'expire', '--keep-latest', '1', '--log-level', 'error'], { env: appendOnly });
    expect(dry.sources).toHaveLength(1);
    expect((await s.list()).map((x) => x.id)).toEqual(ids);
  });

  it('still takes and restores snapshots; delete-capable credentials then expire and maintain', async () => {
    await writeTreeState(s.src, 3, TREE);
    const created = await s.cairnJson<{ snapshot: { id: string } }>(['snapshot', 'create', s.src, '--source', SOURCE, '--log-level', 'error'], { env: appendOnly });
    const restored = join(s.work, 'restored-append-only');
    await s.cairnOk(['snapshot', 'restore', created.snapshot.id, restored, '--log-level', 'error'], { env: appendOnly });
    expect(await compareWithState(restored, 3, TREE, s.work)).toEqual([]);

    await s.cairnOk(['snapshot', 'expire', '--keep-latest', '1', '--apply', '--log-level', 'error'], { env: root });
    await s.cairnOk(['maintenance', 'run', '--full', '--log-level', 'error'], { env: root, seams: { safety: 'none' } });
    const check = await s.cairnJson<{ problems: unknown[]; reclaimable: { totalBytes: number } }>(['repository', 'check', '--log-level', 'error'], { env: root });
    expect(check.problems).toEqual([]);
    expect(check.reclaimable.totalBytes).toBe(0);
    const again = join(s.work, 'restored-after-maintenance');
    await s.cairnOk(['snapshot', 'restore', created.snapshot.id, again, '--log-level', 'error'], { env: root });
    expect(await compareWithState(again, 3, TREE, s.work)).toEqual([]);
  });
});
