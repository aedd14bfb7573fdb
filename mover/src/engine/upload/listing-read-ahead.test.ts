// The read-ahead over a real tree: listings are the directory reader's, each is handed out once, the walk
// stops at its entry budget or when told, and a directory it cannot read is the taker's error.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Semaphore } from '../util/semaphore.ts';
import { type DirectoryListing, readSourceDirectory } from './directory-reader.ts';
import { ListingReadAhead } from './listing-read-ahead.ts';

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function tree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'cairn-read-ahead-'));
  made.push(root);
  for (const d of ['a', 'a/deep', 'b', 'c']) await mkdir(join(root, d));
  for (const f of ['top.txt', 'a/one.txt', 'a/deep/two.txt', 'b/three.txt']) await writeFile(join(root, f), f);
  return root;
}

const names = (l: DirectoryListing | undefined): string[] => (l?.entries.map((e) => e.name) ?? []).sort();

describe('ListingReadAhead', () => {
  it('reads the whole small tree, each listing equal to a direct read and taken once', async () => {
    const root = await tree();
    const ahead = ListingReadAhead.start(root);
    await ahead.finished;
    for (const dir of [root, join(root, 'a'), join(root, 'a/deep'), join(root, 'b'), join(root, 'c')]) {
      const direct = await readSourceDirectory(dir, new Semaphore(1));
      const taken = await ahead.take(dir);
      expect(names(taken)).toEqual(names(direct));
      expect(taken?.entries.map((e) => e.stat)).toEqual(expect.arrayContaining(direct.entries.map((e) => e.stat)));
      expect(ahead.take(dir)).toBeUndefined();
    }
    expect(ahead.take(join(root, 'top.txt'))).toBeUndefined();
  });

  it('starts no directory once its entry budget is spent', async () => {
    const root = await tree();
    const ahead = ListingReadAhead.start(root, { maxEntries: 4 }); // the root lists 4 entries
    await ahead.finished;
    expect(names(await ahead.take(root))).toEqual(['a', 'b', 'c', 'top.txt']);
    expect(ahead.take(join(root, 'a'))).toBeUndefined();
  });

  it('reads nothing when stopped before its first listing, and drops untaken listings on discard', async () => {
    const root = await tree();
    const stopped = ListingReadAhead.start(root);
    stopped.stop();
    await stopped.finished;
    expect(stopped.take(root)).toBeUndefined();

    const full = ListingReadAhead.start(root);
    await full.finished;
    full.discard();
    expect(full.take(join(root, 'b'))).toBeUndefined();
  });

  it('hands a directory it could not read to the taker as the reader error', async () => {
    const root = await tree();
    const ahead = ListingReadAhead.start(join(root, 'top.txt'));
    await ahead.finished;
    await expect(ahead.take(join(root, 'top.txt'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('dates itself when it starts, for the snapshot start time', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const ahead = ListingReadAhead.start('/nonexistent-cairn-dir', { now: () => at });
    ahead.stop();
    expect(ahead.startedAt).toBe(at);
  });
});
