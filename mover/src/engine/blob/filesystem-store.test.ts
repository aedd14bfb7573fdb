// Filesystem-specific behaviour beyond the conformance suite: kopia's on-disk layout (.shards, shard
// directories, .f suffix, legacy [3,3] default), temp files, and errno mapping.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAll } from './blob-store.ts';
import { InvalidBlobIdError, StorageLocationNotFoundError, StoragePermissionError, BlobNotFoundError } from './blob-errors.ts';
import { ConcurrencyLimitedBlobStore } from './concurrency-limited-store.ts';
import { CountingBlobStore } from './counting-store.ts';
import { createFilesystemStore } from './filesystem-store.ts';
import { ReadOnlyBlobStore } from './read-only-store.ts';
import { mapFsError } from './fs-errors.ts';

const PACK = 'p0123456789abcdef0123456789abcdef-s0123456789abcdef-c1';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-fs-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('FilesystemBlobStore layout', () => {
  it('writes kopia\'s default .shards on create and shards long IDs as [1,3] with a .f suffix', async () => {
    const root = join(dir, 'repo');
    const s = await createFilesystemStore(root, { create: true });
    expect(await readFile(join(root, '.shards'), 'utf8')).toBe('{"default":[1,3],"maxNonShardedLength":20}\n');
    await s.put(PACK, Buffer.from('pack'));
    await s.put('kopia.repository', Buffer.from('format'));
    expect(await readFile(join(root, 'p', '012', '3456789abcdef0123456789abcdef-s0123456789abcdef-c1.f'), 'utf8')).toBe('pack');
    expect(await readFile(join(root, 'kopia.repository.f'), 'utf8')).toBe('format');
    // 20 characters is the longest unsharded ID.
    await s.put('a'.repeat(20), Buffer.from('x'));
    await s.put('b'.repeat(21), Buffer.from('y'));
    expect((await readdir(root)).sort()).toEqual(['.shards', 'a'.repeat(20) + '.f', 'b', 'kopia.repository.f', 'p']);
    expect(await readdir(join(root, 'b', 'bbb'))).toEqual(['b'.repeat(17) + '.f']);
  });

  it('assumes the legacy [3,3] layout when opening a directory without .shards, and does not write one', async () => {
    await mkdir(join(dir, 'p01', '234'), { recursive: true });
    await writeFile(join(dir, 'p01', '234', '56789abcdef0123456789abcdef-s0123456789abcdef-c1.f'), 'legacy');
    await writeFile(join(dir, 'kopia.repository.f'), 'fmt');
    const s = await createFilesystemStore(dir);
    expect(s.shardParameters.defaultShards).toEqual([3, 3]);
    expect((await s.get(PACK)).toString()).toBe('legacy');
    expect((await listAll(s, '')).map((m) => m.id).sort()).toEqual(['kopia.repository', PACK]);
    expect(await readdir(dir)).not.toContain('.shards');
  });

  it('honours overrides and a custom maxNonShardedLength from an existing .shards', async () => {
    await writeFile(join(dir, '.shards'), '{"default":[2],"maxNonShardedLength":4,"overrides":[{"prefix":"x","shards":[1,1]}]}');
    const s = await createFilesystemStore(dir);
    await s.put('abcdef', Buffer.from('1'));
    await s.put('xn0_abc', Buffer.from('2'));
    await s.put('abcd', Buffer.from('3'));
    expect(await readFile(join(dir, 'ab', 'cdef.f'), 'utf8')).toBe('1');
    expect(await readFile(join(dir, 'x', 'n', '0_abc.f'), 'utf8')).toBe('2');
    expect(await readFile(join(dir, 'abcd.f'), 'utf8')).toBe('3');
    expect((await listAll(s, 'x')).map((m) => m.id)).toEqual(['xn0_abc']);
    expect((await listAll(s, 'ab')).map((m) => m.id).sort()).toEqual(['abcd', 'abcdef']);
  });

  it('lists neither temp files, .shards, nor foreign files, and reports file mtimes', async () => {
    const s = await createFilesystemStore(dir, { create: true });
    await s.put(PACK, Buffer.from('abc'));
    const shard = join(dir, 'p', '012');
    await writeFile(join(shard, '3456789abcdef0123456789abcdef-s0123456789abcdef-c2.f.tmp.0011223344556677'), 'partial');
    await writeFile(join(dir, 'README.txt'), 'not a blob');
    const listed = await listAll(s, '');
    expect(listed.map((m) => m.id)).toEqual([PACK]);
    expect(listed[0]!.length).toBe(3);
    const when = new Date('2020-01-02T03:04:05Z');
    await utimes(join(shard, '3456789abcdef0123456789abcdef-s0123456789abcdef-c1.f'), when, when);
    expect((await s.stat(PACK)).timestamp.getTime()).toBe(when.getTime());
    expect((await listAll(s, 'p'))[0]!.timestamp.getTime()).toBe(when.getTime());
  });

  it('leaves no temp files behind after puts, including failed ifNotExists puts', async () => {
    const s = await createFilesystemStore(dir, { create: true });
    await s.put(PACK, Buffer.from('1'));
    await s.put(PACK, Buffer.from('2'));
    await expect(s.put(PACK, Buffer.from('3'), { ifNotExists: true })).rejects.toThrow(/already exists/);
    expect(await readdir(join(dir, 'p', '012'))).toEqual(['3456789abcdef0123456789abcdef-s0123456789abcdef-c1.f']);
  });

  it('sweeps the temp files of unfinished writes older than the cut-off, through its wrappers, and nothing else', async () => {
    const s = await createFilesystemStore(dir, { create: true });
    await s.put(PACK, Buffer.from('abc'));
    const shard = join(dir, 'p', '012');
    const stale = join(shard, '3456789abcdef0123456789abcdef-s0123456789abcdef-c2.f.tmp.0011223344556677');
    const young = join(shard, '3456789abcdef0123456789abcdef-s0123456789abcdef-c3.f.tmp.8899aabbccddeeff');
    const foreign = [join(dir, 'notes.tmp.0011223344556677'), join(dir, 'kopia.repository.f.tmp.partial'), join(shard, 'x.f.tmp.00112233')];
    await writeFile(stale, 'partial pack');
    await writeFile(young, 'being written');
    for (const f of foreign) await writeFile(f, 'not ours');
    const old = new Date(Date.now() - 48 * 3_600_000);
    for (const f of [stale, ...foreign]) await utimes(f, old, old);
    const counting = new CountingBlobStore(new ConcurrencyLimitedBlobStore(s, 4));
    const swept = await counting.sweepTemporary!(new Date(Date.now() - 24 * 3_600_000));
    expect(swept).toEqual({ deletedFiles: 1, deletedBytes: 'partial pack'.length, keptFiles: 1 });
    expect(counting.counts.deletes).toBe(1);
    expect(existsSync(stale)).toBe(false);
    for (const f of [young, ...foreign]) expect(existsSync(f)).toBe(true);
    expect((await s.get(PACK)).toString()).toBe('abc');
    expect('sweepTemporary' in new ReadOnlyBlobStore(s)).toBe(false); // a read-only view deletes nothing
  });

  it('keeps the stale temp files of blobs a live writer names, asking once after it has listed them', async () => {
    const s = await createFilesystemStore(dir, { create: true });
    const shard = join(dir, 'p', '012');
    await mkdir(shard, { recursive: true });
    const live = join(shard, '3456789abcdef0123456789abcdef-s0123456789abcdef-c2.f.tmp.0011223344556677');
    const dead = join(shard, '3456789abcdef0123456789abcdef-s00000000000000ff-c2.f.tmp.8899aabbccddeeff');
    const old = new Date(Date.now() - 48 * 3_600_000);
    for (const f of [live, dead]) {
      await writeFile(f, 'partial pack');
      await utimes(f, old, old);
    }
    const asked: string[] = [];
    let calls = 0;
    const swept = await s.sweepTemporary(new Date(Date.now() - 24 * 3_600_000), async () => {
      calls++;
      expect(existsSync(dead)).toBe(true); // nothing is deleted before the writers are known
      return (blobId) => {
        asked.push(blobId);
        return blobId.endsWith('-s0123456789abcdef-c2');
      };
    });
    expect(calls).toBe(1);
    expect(asked.sort()).toEqual(['p0123456789abcdef0123456789abcdef-s00000000000000ff-c2', 'p0123456789abcdef0123456789abcdef-s0123456789abcdef-c2']);
    expect(swept).toEqual({ deletedFiles: 1, deletedBytes: 'partial pack'.length, keptFiles: 1 });
    expect([existsSync(live), existsSync(dead)]).toEqual([true, false]);
    // nothing stale: the writers are not asked for
    await s.sweepTemporary(new Date(0), async () => {
      calls++;
      return () => false;
    });
    expect(calls).toBe(1);
  });

  it('rejects IDs that cannot be file names', async () => {
    const s = await createFilesystemStore(dir, { create: true });
    await expect(s.put('', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobIdError);
    await expect(s.put('a/b', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidBlobIdError);
    await expect(s.get('x..'.padEnd(30, 'y'))).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(s.get('.'.padEnd(30, 'x'))).rejects.toBeInstanceOf(InvalidBlobIdError);
  });
});

describe('FilesystemBlobStore errors', () => {
  it('a missing directory without create is StorageLocationNotFoundError naming the path', async () => {
    const err = await createFilesystemStore(join(dir, 'nope')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageLocationNotFoundError);
    expect((err as StorageLocationNotFoundError).code).toBe('REPO_NOT_FOUND');
    expect((err as Error).message).toContain(join(dir, 'nope'));
  });

  it('a repository path below a regular file is an error naming the path', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const err = await createFilesystemStore(join(dir, 'file', 'repo'), { create: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoragePermissionError);
    expect((err as Error).message).toContain(join(dir, 'file', 'repo'));
  });

  it('maps EACCES, EPERM and EROFS to StoragePermissionError naming the path, EIO to a retryable error', () => {
    for (const code of ['EACCES', 'EPERM', 'EROFS']) {
      const e = mapFsError(Object.assign(new Error(code), { code }), 'write', '/repo/p/012/x.f');
      expect(e).toBeInstanceOf(StoragePermissionError);
      expect(e.code).toBe('STORAGE_PERMISSION');
      expect(e.message).toContain('/repo/p/012/x.f');
      expect(e.retryable).toBe(false);
    }
    const io = mapFsError(Object.assign(new Error('EIO'), { code: 'EIO' }), 'read', '/repo/x.f');
    expect(io.code).toBe('UNREACHABLE');
    expect(io.retryable).toBe(true);
    const missing = mapFsError(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), 'read', '/r/x.f', { id: 'x', where: 'file:///r' });
    expect(missing).toBeInstanceOf(BlobNotFoundError);
  });

  // As root, permission bits do not stop us, so the write is attempted by a child process running as
  // "nobody" (uid 65534); as any other user, the directory is simply made read-only.
  it('a directory the process may not write is StoragePermissionError naming the path', async () => {
    const root = join(dir, 'repo');
    const s = await createFilesystemStore(root, { create: true });
    await s.put('kopia.repository', Buffer.from('x'));
    await chmod(dir, 0o755);
    await chmod(join(root, '.shards'), 0o644);
    await chmod(join(root, 'kopia.repository.f'), 0o644);
    await chmod(root, 0o555);
    if (process.getuid?.() === 0) {
      const modUrl = new URL('./filesystem-store.ts', import.meta.url).href;
      const script = `
        const { createFilesystemStore } = await import(${JSON.stringify(modUrl)});
        const s = await createFilesystemStore(${JSON.stringify(root)});
        const read = (await s.get('kopia.repository')).toString();
        try { await s.put('${PACK}', Buffer.from('y')); console.log(JSON.stringify({ ok: true })); }
        catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, read })); }`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { name: string; code: string; message: string; read: string };
      expect(out).toMatchObject({ name: 'StoragePermissionError', code: 'STORAGE_PERMISSION', read: 'x' });
      expect(out.message).toContain(root);
    } else {
      const err = await s.put(PACK, Buffer.from('y')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoragePermissionError);
      expect((err as Error).message).toContain(root);
    }
  });
});
