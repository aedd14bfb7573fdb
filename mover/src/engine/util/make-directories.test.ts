import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDirectories } from './make-directories.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-mkdirs-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('makeDirectories', () => {
  it('creates missing parents and returns the first one it created', async () => {
    expect(await makeDirectories(join(work, 'a/b/c'), 0o700)).toBe(join(work, 'a'));
    expect((await stat(join(work, 'a/b/c'))).isDirectory()).toBe(true);
    expect((await stat(join(work, 'a/b'))).mode & 0o777).toBe(0o700);
    expect(await makeDirectories(join(work, 'a/b/c'))).toBeUndefined();
  });

  it('with exactMode gives every directory it created the mode whatever the umask, and leaves existing ones', async () => {
    const old = process.umask(0o022);
    try {
      await makeDirectories(join(work, 'shared'), 0o700);
      expect(await makeDirectories(join(work, 'shared/x/y'), 0o2770, { exactMode: true })).toBe(join(work, 'shared/x'));
      expect((await stat(join(work, 'shared/x'))).mode & 0o7777).toBe(0o2770);
      expect((await stat(join(work, 'shared/x/y'))).mode & 0o7777).toBe(0o2770);
      expect((await stat(join(work, 'shared'))).mode & 0o7777).toBe(0o700);
    } finally {
      process.umask(old);
    }
  });

  it('fails on a file in the way', async () => {
    await writeFile(join(work, 'file'), 'x');
    await expect(makeDirectories(join(work, 'file/sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  // Node's mkdir({ recursive: true }) loops forever here (issue 8, item 7).
  it.skipIf(!existsSync('/proc/self'))('fails at once where a directory cannot be created (/proc)', async () => {
    const started = Date.now();
    await expect(makeDirectories('/proc/cairn-no-such/x')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(makeDirectories('/proc/cairn-no-such')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
