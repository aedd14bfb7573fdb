// Acceptance (issue 2, "Bad input"): each failure gives one line on stderr naming the cause (plus a hint,
// no stack trace), its own documented exit code, a valid MoverResult in --result-file, and writes nothing
// (compared by listing the repository, bucket or directory before and after): wrong password (10), no
// repository (11), repository not writable (13), rejected S3 credentials within 10 s and without a retry
// storm (14), missing bucket (15), a flipped byte in a pack (verify exits 17 naming the file), unreadable
// source files (partial snapshot, exit 3, skipped paths listed, the rest restorable) and restore into a
// non-empty directory without --overwrite (18).
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../mover/src/contract/error-codes.ts';
import { decodeResult, type MoverResult } from '../../mover/src/contract/mover-result.ts';
import { compareTrees } from '../fixtures/compare-trees.ts';
import { removeTree, seededBytes } from '../fixtures/fixture-tree.ts';
import { startMinio, type MinioCredentials, type MinioServer } from '../support/minio.ts';
import { requireTool } from '../support/tools.ts';
import { IS_ROOT } from './support/acceptance-tree.ts';
import { blobIdOfPath, diffListings, listTree, S3Lister } from './support/blob-listing.ts';
import {
  awsEnv, cairnJson, cairnOk, describeRun, humanStderr, runCairn, type CairnRun, type CairnRunOptions, type CreatedSnapshot,
} from './support/cairn-cli.ts';
import { startCountingProxy, type CountingProxy } from './support/counting-proxy.ts';

const minioBinary = requireTool('minio');
const NOBODY = 65534;

let work: string;
let src: string;
let repoPath: string;
let repo: string;
let resultDir: string;
let resultCount = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-bad-input-'));
  await chmod(work, 0o755);
  src = join(work, 'src');
  await mkdir(join(src, 'docs'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'alpha\n');
  await writeFile(join(src, 'docs', 'b.bin'), seededBytes('bad-input', 'b', 200_000));
  repoPath = join(work, 'repo');
  repo = `file://${repoPath}`;
  await cairnOk(['repository', 'create', '--repo', repo]);
  await cairnOk(['snapshot', 'create', src, '--repo', repo]);
  resultDir = join(work, 'results');
  await mkdir(resultDir, { mode: 0o777 });
  await chmod(resultDir, 0o777);
});

afterAll(async () => {
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

/** A fresh --result-file path (writable by every uid). */
function resultPath(): string {
  return join(resultDir, `result-${++resultCount}.json`);
}

async function readResult(path: string): Promise<MoverResult> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n') && !text.slice(0, -1).includes('\n'), text).toBe(true); // one line
  return decodeResult(text);
}

/**
 * Runs a command that must fail with `code`; checks stderr (one line naming the cause, optionally a hint,
 * no stack trace) and the result file; returns the run. `verify` reports problems as `ERROR snapshot …`
 * lines (one per affected file) instead of `cairn: error: …`.
 */
async function expectFailure(args: readonly string[], code: ErrorCode, cause: RegExp, options: CairnRunOptions = {},
  lead = /^cairn: error: /): Promise<CairnRun> {
  const result = resultPath();
  const r = await runCairn([...args, '--result-file', result], options);
  const context = describeRun(r);
  expect(r.exitCode, context).toBe(ERROR_CODES[code].exitCode);
  const human = humanStderr(r.stderr);
  expect(human[0], context).toMatch(lead);
  expect(human[0], context).toMatch(cause);
  expect(human.slice(1).every((l) => l.startsWith('  hint: ')), context).toBe(true);
  expect(human.length, context).toBeLessThanOrEqual(2);
  // a failed command's error and hint end stderr: no log record (e.g. the storage summary) after them
  if (human[0]!.startsWith('cairn: error: ')) expect(r.stderr.trimEnd().split('\n').slice(-human.length), context).toEqual(human);
  expect(r.stderr, context).not.toMatch(/^\s+at /m); // no stack trace
  expect(r.stderr, context).not.toMatch(/\\n\s+at /); // not even inside a log record
  const decoded = await readResult(result);
  expect(decoded).toMatchObject({ ok: false, code, exitCode: ERROR_CODES[code].exitCode, command: args.slice(0, 2).join(' ') });
  expect(decoded.message, JSON.stringify(decoded)).toMatch(cause);
  if (human[0]!.startsWith('cairn: error: ')) expect(`cairn: error: ${decoded.message}`).toBe(human[0]);
  return r;
}

describe('bad input on the filesystem store', () => {
  it('wrong password: exit 10, nothing written', async () => {
    const before = await listTree(repoPath);
    await expectFailure(['snapshot', 'create', src, '--repo', repo], 'WRONG_PASSWORD', /password/, { password: 'not-the-password' });
    expect(diffListings(before, await listTree(repoPath))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('no repository at the location: exit 11, nothing written', async () => {
    const empty = join(work, 'empty-dir');
    await mkdir(empty);
    const before = await listTree(empty);
    await expectFailure(['snapshot', 'create', src, '--repo', `file://${empty}`], 'REPO_NOT_FOUND', new RegExp(`${empty}.*kopia\\.repository|kopia\\.repository.*${empty}|no repository at`));
    expect([...(await listTree(empty)).keys()]).toEqual([...before.keys()]);

    const missing = join(work, 'does-not-exist');
    await expectFailure(['snapshot', 'list', '--repo', `file://${missing}`], 'REPO_NOT_FOUND', new RegExp(missing));
    await expect(stat(missing)).rejects.toThrow(/ENOENT/);
  });

  // As root (CI here) the CLI runs as uid 65534, which the permission bits stop; otherwise as this user
  // with the write/read bits taken away.
  describe(IS_ROOT ? 'as an unprivileged user (uid 65534)' : 'as this user without permissions', () => {
    const asNobody: CairnRunOptions = IS_ROOT ? { uid: NOBODY, gid: NOBODY } : {};

    it('repository path not writable: exit 13, nothing written', async () => {
      // Everyone may read the repository; nobody but root may write it.
      await chmodTree(repoPath, 0o555, 0o444);
      try {
        const before = await listTree(repoPath);
        await expectFailure(['snapshot', 'create', src, '--repo', repo], 'STORAGE_PERMISSION', new RegExp(`permission denied.*${repoPath}`), asNobody);
        const diff = diffListings(before, await listTree(repoPath));
        expect(diff).toEqual({ added: [], removed: [], changed: [] });
      } finally {
        await chmodTree(repoPath, 0o700, 0o600);
      }

      const readOnlyDir = join(work, 'read-only-empty');
      await mkdir(readOnlyDir);
      await chmod(readOnlyDir, 0o555);
      await expectFailure(['repository', 'create', '--repo', `file://${readOnlyDir}`], 'STORAGE_PERMISSION', new RegExp(readOnlyDir), asNobody);
      expect([...(await listTree(readOnlyDir)).keys()]).toEqual([]);
    });

    it('unreadable source files: a partial snapshot (exit 3) that lists them and restores the rest', async () => {
      const partialSrc = join(work, 'partial-src');
      await mkdir(join(partialSrc, 'ok-dir'), { recursive: true });
      await writeFile(join(partialSrc, 'readable.txt'), 'readable\n');
      await writeFile(join(partialSrc, 'ok-dir', 'data.bin'), seededBytes('bad-input', 'partial', 70_000));
      await writeFile(join(partialSrc, 'secret.txt'), 'root only\n', { mode: 0o000 });
      await mkdir(join(partialSrc, 'locked-dir'), { mode: 0o000 });
      await chmod(join(partialSrc, 'locked-dir'), 0o000);
      await chmod(join(partialSrc, 'secret.txt'), 0o000);
      const partialRepoPath = join(work, 'partial-repo');
      const partialRepo = `file://${partialRepoPath}`;
      await cairnOk(['repository', 'create', '--repo', partialRepo]);
      if (IS_ROOT) await chownTree(partialRepoPath, NOBODY, NOBODY);

      const result = resultPath();
      const created = await cairnJson<CreatedSnapshot>(['snapshot', 'create', partialSrc, '--repo', partialRepo, '--result-file', result],
        asNobody, ERROR_CODES.PARTIAL.exitCode);
      expect(created.snapshot.partial).toBe(true);
      expect(created.failures.map((f) => [f.path, f.errno])).toEqual([['locked-dir', 'EACCES'], ['secret.txt', 'EACCES']]);
      expect(created.snapshot.skipped).toEqual(['locked-dir', 'secret.txt']);
      expect(created.snapshot.skippedCount).toBe(2);
      const decoded = await readResult(result);
      expect(decoded).toMatchObject({ ok: true, code: 'PARTIAL', exitCode: 3, command: 'snapshot create' });
      expect(decoded.snapshot).toMatchObject({ id: created.snapshot.id, partial: true, skipped: ['locked-dir', 'secret.txt'], skippedCount: 2 });

      // Human output names the skipped paths too.
      const human = await runCairn(['snapshot', 'create', partialSrc, '--repo', partialRepo], asNobody);
      expect(human.exitCode, describeRun(human)).toBe(3);
      expect(human.stderr).toMatch(/skipped locked-dir: EACCES/);
      expect(human.stderr).toMatch(/skipped secret\.txt: EACCES/);
      expect(human.stderr).toMatch(/PARTIAL/);

      const restored = join(work, 'partial-restored');
      await cairnOk(['snapshot', 'restore', created.snapshot.id, restored, '--repo', partialRepo]);
      // µs: Cairn restores times through Node's utimes; these files have kernel ns mtimes.
      expect((await compareTrees(partialSrc, restored, { owners: IS_ROOT, mtimeResolutionNs: 1000 })).sort()).toEqual(['locked-dir: missing', 'secret.txt: missing']);
    });
  });

  it('restore into a non-empty directory without --overwrite: exit 18, directory untouched', async () => {
    const target = join(work, 'non-empty');
    await mkdir(target);
    await writeFile(join(target, 'a.txt'), 'precious local data\n');
    const before = await listTree(target);
    await expectFailure(['snapshot', 'restore', 'latest', target, '--repo', repo], 'TARGET_NOT_EMPTY', new RegExp(`${target}.*not empty`));
    expect(diffListings(before, await listTree(target))).toEqual({ added: [], removed: [], changed: [] });
    expect(await readFile(join(target, 'a.txt'), 'utf8')).toBe('precious local data\n');
    // Control: with --overwrite the same restore goes through.
    await cairnOk(['snapshot', 'restore', 'latest', target, '--repo', repo, '--overwrite']);
    expect(await readFile(join(target, 'a.txt'), 'utf8')).toBe('alpha\n');
  });

  it('a flipped byte in a pack: verify --read-data-percent 100 exits 17 and names the file', async () => {
    const corruptSrc = join(work, 'corrupt-src');
    await mkdir(join(corruptSrc, 'sub'), { recursive: true });
    await writeFile(join(corruptSrc, 'small.txt'), 'small\n');
    await writeFile(join(corruptSrc, 'sub', 'victim.bin'), seededBytes('bad-input', 'victim', 3 * 1024 * 1024));
    const corruptRepoPath = join(work, 'corrupt-repo');
    const corruptRepo = `file://${corruptRepoPath}`;
    await cairnOk(['repository', 'create', '--repo', corruptRepo]);
    const created = await cairnJson<CreatedSnapshot>(['snapshot', 'create', corruptSrc, '--repo', corruptRepo]);
    await cairnOk(['snapshot', 'verify', '--read-data-percent', '100', '--repo', corruptRepo]); // clean before

    // The victim's 3 MiB dominate the only data pack, so its middle byte belongs to sub/victim.bin.
    const packs = [...(await listTree(corruptRepoPath)).keys()].filter((k) => blobIdOfPath(k)?.startsWith('p') === true);
    expect(packs).toHaveLength(1);
    const packFile = join(corruptRepoPath, packs[0]!);
    const bytes = await readFile(packFile);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    bytes[bytes.length >> 1] ^= 0x40;
    await writeFile(packFile, bytes);

    const r = await expectFailure(['snapshot', 'verify', '--read-data-percent', '100', '--repo', corruptRepo], 'CORRUPT', /sub\/victim\.bin/,
      {}, new RegExp(`^ERROR snapshot ${created.snapshot.id} sub/victim\\.bin: .*failed authentication`));
    expect(r.stderr).not.toMatch(/small\.txt/);
    // Without reading data, everything referenced still exists.
    await cairnOk(['snapshot', 'verify', '--repo', corruptRepo]);
    // A restore stops with the same class of error and names the file.
    await expectFailure(['snapshot', 'restore', 'latest', join(work, 'corrupt-restored'), '--repo', corruptRepo], 'CORRUPT',
      /sub\/victim\.bin.*failed authentication/);

    // Once the pack is gone, even the existence check fails and names every file that had data in it.
    await rm(packFile);
    const gone = await runCairn(['snapshot', 'verify', '--repo', corruptRepo, '--json']);
    expect(gone.exitCode, describeRun(gone)).toBe(ERROR_CODES.CORRUPT.exitCode);
    const report = JSON.parse(gone.stdout) as { problems: { snapshotId: string; path: string; message: string }[] };
    expect(report.problems.map((p) => p.path).sort()).toEqual(['small.txt', 'sub/victim.bin']);
    for (const p of report.problems) expect(p.message).toMatch(/missing/);
  });

  it('--result-file holds a valid MoverResult on success', async () => {
    const listPath = resultPath();
    await cairnOk(['snapshot', 'list', '--repo', repo, '--result-file', listPath]);
    expect(await readResult(listPath)).toMatchObject({ v: 1, ok: true, code: 'OK', exitCode: 0, command: 'snapshot list', repository: { snapshotCount: 1 } });
    const createPath = resultPath();
    await cairnOk(['snapshot', 'create', src, '--repo', repo, '--result-file', createPath]);
    const created = await readResult(createPath);
    expect(created).toMatchObject({ ok: true, code: 'OK', exitCode: 0, command: 'snapshot create', snapshot: { partial: false, skipped: [], skippedCount: 0, bytesRead: 0 } });
    expect(created.snapshot?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof created.durationSeconds).toBe('number');
  });
});

describe.skipIf(minioBinary === undefined)('bad input on MinIO', () => {
  let minio: MinioServer;
  let lister: S3Lister;
  let proxy: CountingProxy;
  const BUCKET = 'bad-input';

  beforeAll(async () => {
    minio = await startMinio();
    lister = new S3Lister(minio);
    await minio.createBucket(BUCKET);
    await minio.createBucket('empty-bucket');
    await cairnOk(['repository', 'create', '--repo', minio.url(BUCKET, 'repo/')], { env: awsEnv(minio.credentials) });
    await cairnOk(['snapshot', 'create', src, '--repo', minio.url(BUCKET, 'repo/')], { env: awsEnv(minio.credentials) });
    proxy = await startCountingProxy(minio.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
    lister?.destroy();
    await minio?.stop();
  });

  const proxiedUrl = (bucket: string, prefix: string): string =>
    `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(proxy.endpoint)}&region=${minio.region}`;

  async function expectRejected(credentials: MinioCredentials, how: 'env' | 'dir', cause: RegExp): Promise<void> {
    const before = await lister.list(BUCKET);
    const args = ['snapshot', 'create', src, '--repo', proxiedUrl(BUCKET, 'repo/')];
    let options: CairnRunOptions = { env: awsEnv(credentials) };
    if (how === 'dir') {
      const dir = await mkdtemp(join(work, 'creds-'));
      await writeFile(join(dir, 'AWS_ACCESS_KEY_ID'), credentials.accessKeyId);
      await writeFile(join(dir, 'AWS_SECRET_ACCESS_KEY'), credentials.secretAccessKey);
      args.push('--s3-credentials-dir', dir);
      options = { env: awsEnv(minio.credentials) }; // the directory must win over the environment
    }
    proxy.reset();
    const r = await expectFailure(args, 'AUTH_FAILED', cause, options);
    expect(r.durationMs, describeRun(r)).toBeLessThan(10_000);
    expect(proxy.requests.length, proxy.requests.join('\n')).toBeGreaterThan(0);
    expect(proxy.requests.length, proxy.requests.join('\n')).toBeLessThanOrEqual(2); // no retry storm (one GET of kopia.repository is all it takes)
    expect(diffListings(before, await lister.list(BUCKET))).toEqual({ added: [], removed: [], changed: [] });
  }

  it('a wrong secret key: exit 14 within 10 s, a handful of requests, nothing written', async () => {
    await expectRejected(minio.wrongSecretCredentials(), 'env', /credentials.*SignatureDoesNotMatch|SignatureDoesNotMatch.*credentials/);
  });

  it('an unknown access key from --s3-credentials-dir: exit 14 within 10 s, nothing written', async () => {
    await expectRejected(minio.unknownKeyCredentials(), 'dir', /credentials.*InvalidAccessKeyId|InvalidAccessKeyId.*credentials/);
  });

  it('a missing bucket: exit 15, no bucket created', async () => {
    const buckets = await lister.buckets();
    const env = { env: awsEnv(minio.credentials) };
    await expectFailure(['snapshot', 'create', src, '--repo', minio.url('no-such-bucket', 'repo/')], 'BUCKET_NOT_FOUND', /no-such-bucket/, env);
    await expectFailure(['repository', 'create', '--repo', minio.url('no-such-bucket', 'repo/')], 'BUCKET_NOT_FOUND', /no-such-bucket/, env);
    expect(await lister.buckets()).toEqual(buckets);
  });

  it('no repository under the prefix: exit 11, nothing written', async () => {
    const env = { env: awsEnv(minio.credentials) };
    await expectFailure(['snapshot', 'create', src, '--repo', minio.url('empty-bucket', 'nothing/')], 'REPO_NOT_FOUND', /no repository/, env);
    expect([...(await lister.list('empty-bucket')).keys()]).toEqual([]);
  });

  it('repository create where objects already are (the bucket root above a repository): exit 24, nothing written', async () => {
    const before = await lister.list(BUCKET);
    expect(before.size).toBeGreaterThan(0);
    await expectFailure(['repository', 'create', '--repo', minio.url(BUCKET, '')], 'REFUSED', /already holds data/, { env: awsEnv(minio.credentials) });
    expect(diffListings(before, await lister.list(BUCKET))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('a wrong password: exit 10, nothing written', async () => {
    const before = await lister.list(BUCKET);
    await expectFailure(['snapshot', 'create', src, '--repo', minio.url(BUCKET, 'repo/')], 'WRONG_PASSWORD', /password/,
      { env: awsEnv(minio.credentials), password: 'wrong' });
    expect(diffListings(before, await lister.list(BUCKET))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('read-only credentials: exit 13, nothing written', async () => {
    const before = await lister.list(BUCKET);
    const readOnly = await minio.readOnlyCredentials(BUCKET);
    await expectFailure(['snapshot', 'create', src, '--repo', minio.url(BUCKET, 'repo/'), '--full-scan'], 'STORAGE_PERMISSION', /denied|permission/i,
      { env: awsEnv(readOnly) });
    expect(diffListings(before, await lister.list(BUCKET))).toEqual({ added: [], removed: [], changed: [] });
  });
});

async function chmodTree(root: string, dirMode: number, fileMode: number): Promise<void> {
  await chmod(root, dirMode);
  for (const [rel] of await listTree(root)) await chmod(join(root, rel), rel.endsWith('/') ? dirMode : fileMode);
}

async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  await chown(root, uid, gid);
  for (const [rel] of await listTree(root)) await chown(join(root, rel), uid, gid);
}
