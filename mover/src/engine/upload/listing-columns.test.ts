// A listing sent as columns comes back as the directory reader's own: names (also bytes that are not UTF-8),
// paths and every stat field, across the column buffer's growth.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Semaphore } from '../util/semaphore.ts';
import { readDirectoryInto, readSourceDirectory } from './directory-reader.ts';
import { ColumnsBuilder, decodeListing } from './listing-columns.ts';

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('listing columns', () => {
  it('decode to the listing a direct read gives, names as bytes included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-columns-'));
    made.push(dir);
    for (let i = 0; i < 100; i++) await writeFile(join(dir, `f${i}`), 'x'.repeat(i));
    await writeFile(Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff, 0xfe])]), 'not utf-8');
    await symlink('f1', join(dir, 'link'));
    const direct = await readSourceDirectory(dir, new Semaphore(1));
    // a name that is not UTF-8 makes the reader go name by name, growing the columns from 64 entries
    const columns = await readDirectoryInto(dir, new Semaphore(1), (n) => new ColumnsBuilder(dir, n));
    const decoded = decodeListing(structuredClone(columns, { transfer: [columns.columns] }));
    const view = (l: typeof direct) => l.entries.map((e) => ({ name: e.name, path: e.path, stat: e.stat }))
      .sort((x, y) => x.name.localeCompare(y.name));
    expect(direct.entries).toHaveLength(102);
    expect(view(decoded)).toEqual(view(direct));
    expect(decoded.entries.find((e) => e.name.startsWith('bad-'))?.path).toBeInstanceOf(Buffer);
    expect(decoded.failures).toEqual([]);
  });
});
