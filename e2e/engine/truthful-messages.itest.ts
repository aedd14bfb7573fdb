// Acceptance (issue 8, items 7 and 8): each failure is named for what it is, with its own exit code and a
// hint naming a real command. A damaged kopia.repository is CORRUPT (17), not a wrong password (10); a
// `.shards` file that does not match the files says so instead of "another client is compacting"; a plain
// path given to --repo says how to write it as a URL; `--read-data-percent -5` is out of range; a listing
// holding one name twice is CORRUPT, not a restore-target problem (25); a `.kopiaignore` that cannot be
// read skips its directory (partial snapshot, 3), or fails the snapshot (21) when it is the source's own;
// restoring into /proc/x fails at once (25) instead of spinning in a mkdir loop.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../mover/src/contract/error-codes.ts';
import { openBlobStore } from '../../mover/src/engine/blob/open-blob-store.ts';
import { openRepository } from '../../mover/src/engine/repo/open-repository.ts';
import { decodeDirManifest, encodeDirManifest } from '../../mover/src/engine/snapshot/dir-manifest.ts';
import { listSnapshots, saveSnapshot } from '../../mover/src/engine/snapshot/snapshot-manager.ts';
import { cairnJson, cairnOk, describeRun, humanStderr, runCairn, TEST_PASSWORD, type CairnRun, type CreatedSnapshot } from './support/cairn-cli.ts';

let work: string;
let src: string;
let repoPath: string;
let repo: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-messages-'));
  src = join(work, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'alpha\n');
  await writeFile(join(src, 'sub', 'b.txt'), 'beta\n');
  repoPath = join(work, 'repo');
  repo = `file://${repoPath}`;
  await cairnOk(['repository', 'create', '--repo', repo]);
  await cairnOk(['snapshot', 'create', src, '--repo', repo]);
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** Runs a command that must fail with `code`: one line naming the cause, a hint, no stack trace. */
async function expectFailure(args: readonly string[], code: ErrorCode, cause: RegExp, hint?: RegExp): Promise<CairnRun> {
  const r = await runCairn(args);
  const context = describeRun(r);
  expect(r.exitCode, context).toBe(ERROR_CODES[code].exitCode);
  const human = humanStderr(r.stderr);
  expect(human, context).toHaveLength(2);
  expect(human[0], context).toMatch(/^cairn: error: /);
  expect(human[0], context).toMatch(cause);
  expect(human[1], context).toMatch(/^ {2}hint: /);
  if (hint !== undefined) expect(human[1], context).toMatch(hint);
  expect(r.stderr, context).not.toMatch(/^\s+at /m);
  return r;
}

/** A copy of the test repository to damage. */
async function copyRepo(name: string): Promise<{ path: string; url: string }> {
  const path = join(work, name);
  await rm(path, { recursive: true, force: true });
  const { cp } = await import('node:fs/promises');
  await cp(repoPath, path, { recursive: true });
  return { path, url: `file://${path}` };
}

describe('messages say the truth', () => {
  it('a damaged kopia.repository is CORRUPT (17); a wrong password is still 10', async () => {
    const copy = await copyRepo('damaged-format');
    const file = join(copy.path, 'kopia.repository.f');
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    const sealed = Buffer.from(doc['encryptedBlockFormat']!, 'base64');
    sealed[sealed.length >> 1] ^= 0x01;
    doc['encryptedBlockFormat'] = sealed.toString('base64');
    await writeFile(file, JSON.stringify(doc, null, 2));
    await expectFailure(['snapshot', 'list', '--repo', copy.url], 'CORRUPT', /kopia\.repository .* is damaged/, /password is right/);
    const wrong = await runCairn(['snapshot', 'list', '--repo', repo], { password: 'not-the-password' });
    expect(wrong.exitCode, describeRun(wrong)).toBe(ERROR_CODES.WRONG_PASSWORD.exitCode);
  });

  it('a .shards file that does not match the files is named, not blamed on compaction', async () => {
    const copy = await copyRepo('wrong-shards');
    await writeFile(join(copy.path, '.shards'), '{"default":[3,3],"maxNonShardedLength":20}');
    await expectFailure(['snapshot', 'list', '--repo', copy.url], 'CORRUPT', /not where this repository's shard layout \(\.shards: /, /\.shards file does not match/);
  });

  it('a plain path given to --repo says how to write it', async () => {
    await expectFailure(['snapshot', 'list', '--repo', repoPath], 'USAGE', new RegExp(`"${repoPath}" is a path, not a URL`), new RegExp(`file://${repoPath}`));
  });

  it('--read-data-percent -5 is out of range', async () => {
    await expectFailure(['snapshot', 'verify', '--read-data-percent', '-5', '--repo', repo], 'USAGE', /--read-data-percent -5 is out of range/);
    await expectFailure(['repository', 'check', '--read-data-percent', '250', '--repo', repo], 'USAGE', /--read-data-percent 250 is out of range/);
  });

  it('a listing that holds one name twice is CORRUPT (17), for restore and verify alike', async () => {
    const copy = await copyRepo('duplicate-names');
    const r = await openRepository(await openBlobStore(copy.url), TEST_PASSWORD);
    const latest = (await listSnapshots(r.manifests)).filter((x) => x.source.path === src).at(-1)!;
    const root = decodeDirManifest(await (await r.objects.openObject(latest.rootEntry!.obj)).readAll(), latest.rootEntry!.obj);
    const file = root.entries.find((e) => e.name === 'a.txt')!;
    const w = r.objects.newWriter({ prefix: 'k' });
    await w.write(encodeDirManifest([...root.entries, { ...file, size: 0 }], root.summary));
    const obj = await w.result();
    const id = await saveSnapshot(r.manifests, { ...latest, id: '', rootEntry: { ...latest.rootEntry!, obj } });
    await r.flush();
    await r.close();
    await expectFailure(['snapshot', 'restore', id, join(work, 'dup-restored'), '--repo', copy.url], 'CORRUPT', /"a\.txt" appears more than once/, /cairn snapshot verify/);
    const v = await runCairn(['snapshot', 'verify', '--repo', copy.url]);
    expect(v.exitCode, describeRun(v)).toBe(ERROR_CODES.CORRUPT.exitCode);
    expect(v.stderr).toMatch(/appears more than once/);
  });

  it('an unreadable .kopiaignore skips its directory (partial, 3), or fails the snapshot when it is the source\'s (21)', async () => {
    const tree = join(work, 'ignore-src');
    await mkdir(join(tree, 'private'), { recursive: true });
    await writeFile(join(tree, 'kept.txt'), 'kept\n');
    await writeFile(join(tree, 'private', 'secret.key'), 'excluded by the rules nobody could read\n');
    await symlink('.kopiaignore', join(tree, 'private', '.kopiaignore')); // ELOOP, also for root
    const created = await cairnJson<CreatedSnapshot>(['snapshot', 'create', tree, '--repo', repo], {}, ERROR_CODES.PARTIAL.exitCode);
    expect(created.snapshot.skipped).toEqual(['private']);
    expect(created.failures[0]).toMatchObject({ path: 'private', errno: 'ELOOP' });
    const restored = join(work, 'ignore-restored');
    await cairnOk(['snapshot', 'restore', created.snapshot.id, restored, '--repo', repo]);
    expect(await readFile(join(restored, 'kept.txt'), 'utf8')).toBe('kept\n');
    await expect(readFile(join(restored, 'private', 'secret.key'))).rejects.toThrow(/ENOENT/);

    await symlink('.kopiaignore', join(tree, '.kopiaignore'));
    await expectFailure(['snapshot', 'create', tree, '--repo', repo], 'SOURCE_ERROR', /\.kopiaignore: ELOOP/, /make the ignore file readable/);
  });

  // issue 8, item 2: this printed a Node stack trace, exited 1 and left the result file empty
  it('a sub-listing that is missing, not JSON or names a damaged file: restore, verify and check exit 17 with a result file', async () => {
    for (const damage of ['missing', 'not-json', 'damaged-file'] as const) {
      const copy = await copyRepo(`bad-sub-listing-${damage}`);
      const r = await openRepository(await openBlobStore(copy.url), TEST_PASSWORD);
      const latest = (await listSnapshots(r.manifests)).filter((x) => x.source.path === src).at(-1)!;
      const root = decodeDirManifest(await (await r.objects.openObject(latest.rootEntry!.obj)).readAll(), latest.rootEntry!.obj);
      let bad = `k${'ab'.repeat(16)}`;
      if (damage !== 'missing') {
        let text = '{"stream":"kopia:directory","entries":[{"na';
        if (damage === 'damaged-file') {
          // a file whose indirect object is not JSON: the subdirectory's walk fails while its parent's goes on
          const indirect = `I${await r.contents.writeContent(Buffer.from('{"stream":"kopia:indirect","entries":[{"l":5'), { prefix: 'x' })}`;
          text = encodeDirManifest([{ name: 'broken.bin', type: 'f', mode: 0o644, size: 5, mtime: '2025-01-01T00:00:00Z', uid: 0, gid: 0, obj: indirect }], undefined).toString();
        }
        const w = r.objects.newWriter({ prefix: 'k' });
        await w.write(Buffer.from(text));
        bad = await w.result();
      }
      // files after the damaged directory keep the walk busy while the subdirectory's read fails
      const files = Array.from({ length: 40 }, (_, i) => ({ ...root.entries.find((e) => e.type === 'f')!, name: `z${i}.txt` }));
      const entries = [...root.entries.map((e) => (e.type === 'd' ? { ...e, obj: bad } : e)), ...files];
      const w = r.objects.newWriter({ prefix: 'k' });
      await w.write(encodeDirManifest(entries, root.summary));
      const id = await saveSnapshot(r.manifests, { ...latest, id: '', rootEntry: { ...latest.rootEntry!, obj: await w.result() } });
      await r.flush();
      await r.close();
      for (const args of [['snapshot', 'restore', id, join(work, `restored-${damage}`)], ['snapshot', 'verify'], ['repository', 'check']]) {
        const resultFile = join(work, `result-${damage}-${args[1]!}.json`);
        const run = await runCairn([...args, '--repo', copy.url, '--result-file', resultFile]);
        expect(run.exitCode, describeRun(run)).toBe(ERROR_CODES.CORRUPT.exitCode);
        expect(run.stderr, describeRun(run)).not.toMatch(/^\s+at /m);
        expect(JSON.parse(await readFile(resultFile, 'utf8'))).toMatchObject({ ok: false, code: 'CORRUPT', exitCode: 17 });
      }
    }
  });

  it.skipIf(process.platform !== 'linux')('a restore into /proc/x fails at once instead of spinning', async () => {
    const r = await expectFailure(['snapshot', 'restore', 'latest', '/proc/cairn-no-such/target', '--repo', repo], 'TARGET_ERROR', /\/proc\/cairn-no-such/);
    expect(r.durationMs).toBeLessThan(15_000);
  });
});
