// The directory reader over real directories: names read as text when they are all UTF-8, as bytes when
// one is not (or the directory's own path is bytes), with the same entries and stats either way.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Semaphore } from '../util/semaphore.ts';
import { type DirectoryListing, readSourceDirectory } from './directory-reader.ts';

const root = mkdtempSync(join(tmpdir(), 'cairn-dir-reader-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function read(dir: string | Buffer): Promise<DirectoryListing> {
  return readSourceDirectory(dir, new Semaphore(1));
}

const byName = (l: DirectoryListing): Map<string, DirectoryListing['entries'][number]> => new Map(l.entries.map((e) => [e.name, e]));

describe('readSourceDirectory', () => {
  it('lists UTF-8 names with their kinds, sizes and text paths', async () => {
    const dir = join(root, 'plain');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.txt'), 'hello');
    writeFileSync(join(dir, 'ünïcødé €.txt'), '');
    symlinkSync('a.txt', join(dir, 'link'));
    const listing = await read(dir);
    const e = byName(listing);
    expect([...e.keys()].sort()).toEqual(['a.txt', 'link', 'sub', 'ünïcødé €.txt']);
    expect(listing.failures).toEqual([]);
    expect(e.get('a.txt')?.stat).toMatchObject({ kind: 'f', size: 5, mtimeNs: statSync(join(dir, 'a.txt'), { bigint: true }).mtimeNs });
    expect(e.get('sub')?.stat.kind).toBe('d');
    expect(e.get('link')?.stat.kind).toBe('s');
    expect(e.get('ünïcødé €.txt')?.path).toBe(join(dir, 'ünïcødé €.txt'));
  });

  it('reads a directory with a name that is not UTF-8 as bytes: every entry listed, that one with escapes and a byte path', async () => {
    const dir = join(root, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'good.txt'), 'g');
    const bad = Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.of(0xff), Buffer.from('.txt')]);
    writeFileSync(bad, 'bad');
    const e = byName(await read(dir));
    expect([...e.keys()].sort()).toEqual(['bad-\udcff.txt', 'good.txt']);
    expect(e.get('bad-\udcff.txt')?.path).toEqual(bad);
    expect(e.get('bad-\udcff.txt')?.stat.size).toBe(3);
    expect(e.get('good.txt')?.path).toBe(join(dir, 'good.txt'));
  });

  it('keeps a name that holds U+FFFD itself (valid UTF-8) exactly', async () => {
    const dir = join(root, 'replacement-char');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x\ufffdy'), 'r');
    const e = byName(await read(dir));
    expect([...e.keys()]).toEqual(['x\ufffdy']);
    expect(e.get('x\ufffdy')?.path).toBe(join(dir, 'x\ufffdy'));
  });

  it('reads a directory given by a byte path (below a name that is not UTF-8)', async () => {
    const dir = Buffer.concat([Buffer.from(`${root}/dir-`), Buffer.of(0xfe)]);
    mkdirSync(dir);
    writeFileSync(Buffer.concat([dir, Buffer.from('/inside.txt')]), 'in');
    const e = byName(await read(dir));
    expect(e.get('inside.txt')?.path).toEqual(Buffer.concat([dir, Buffer.from('/inside.txt')]));
    expect(e.get('inside.txt')?.stat.size).toBe(2);
  });

  it('lists a directory larger than one batch (the event loop is yielded between batches)', async () => {
    const dir = join(root, 'many');
    mkdirSync(dir);
    for (let i = 0; i < 1300; i++) writeFileSync(join(dir, `f${i}`), '');
    let yielded = false;
    setImmediate(() => { yielded = true; });
    const listing = await read(dir).then((l) => ({ l, yieldedBeforeDone: yielded }));
    expect(listing.l.entries.length).toBe(1300);
    expect(new Set(listing.l.entries.map((x) => x.name)).size).toBe(1300);
    expect(listing.yieldedBeforeDone).toBe(true);
  });

  it('fails with the errno of reading it for a path that is not a directory, or is absent', async () => {
    writeFileSync(join(root, 'file'), 'f');
    await expect(read(join(root, 'file'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(read(join(root, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
