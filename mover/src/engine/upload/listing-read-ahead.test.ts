// The read-ahead over a real tree, with its thread: listings are the directory reader's, each is handed out
// once, the thread pauses at its entry budget until listings are taken, a directory the uploader read first
// or excluded is dropped when it arrives, and a directory it cannot read is the taker's error.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Semaphore } from '../util/semaphore.ts';
import { type DirectoryListing, readSourceDirectory } from './directory-reader.ts';
import { ListingReadAhead } from './listing-read-ahead.ts';

const made: string[] = [];
const started: ListingReadAhead[] = [];
afterEach(() => {
  for (const ahead of started.splice(0)) ahead.discard();
});
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

async function start(root: string, options?: Parameters<typeof ListingReadAhead.start>[1]): Promise<ListingReadAhead> {
  const ahead = await ListingReadAhead.start(root, options);
  started.push(ahead);
  return ahead;
}

const names = (l: DirectoryListing | undefined): string[] => (l?.entries.map((e) => e.name) ?? []).sort();
const arrived = (ahead: ListingReadAhead, dir: string): Promise<void> => vi.waitFor(() => expect(ahead.has(dir)).toBe(true));

describe('ListingReadAhead', () => {
  it('reads the whole small tree, each listing equal to a direct read and taken once', async () => {
    const root = await tree();
    const ahead = await start(root);
    await ahead.finished;
    for (const dir of [root, join(root, 'a'), join(root, 'a/deep'), join(root, 'b'), join(root, 'c')]) {
      const direct = await readSourceDirectory(dir, new Semaphore(1));
      const taken = await ahead.take(dir);
      expect(names(taken)).toEqual(names(direct));
      expect(taken?.entries.map((e) => e.stat)).toEqual(expect.arrayContaining(direct.entries.map((e) => e.stat)));
      expect(taken?.entries.map((e) => e.path).sort()).toEqual(direct.entries.map((e) => e.path).sort());
      expect(ahead.take(dir)).toBeUndefined();
    }
    expect(ahead.take(join(root, 'top.txt'))).toBeUndefined();
  });

  it('pauses once the listings not taken hold its entry budget, and goes on as they are taken', async () => {
    const root = await tree();
    const ahead = await start(root, { maxEntries: 4 }); // the root lists 4 entries
    await arrived(ahead, root);
    expect(ahead.has(join(root, 'a'))).toBe(false);
    expect(names(await ahead.take(root))).toEqual(['a', 'b', 'c', 'top.txt']);
    await arrived(ahead, join(root, 'a'));
    for (const dir of ['a', 'a/deep', 'b', 'c']) {
      await arrived(ahead, join(root, dir));
      expect(await ahead.take(join(root, dir))).toBeDefined();
    }
    await ahead.finished;
  });

  it('drops a listing the uploader read before it arrived, and those of excluded directories', async () => {
    const root = await tree();
    const ahead = await start(root, { maxEntries: 4 });
    await arrived(ahead, root);
    expect(ahead.take(join(root, 'b'))).toBeUndefined(); // not here yet: the uploader reads it itself
    ahead.skip(join(root, 'a'));
    await ahead.take(root);
    await ahead.finished;
    expect(ahead.has(join(root, 'c'))).toBe(true);
    for (const dir of ['a', 'a/deep', 'b']) expect(ahead.take(join(root, dir))).toBeUndefined();
  });

  it('drops every listing on discard', async () => {
    const root = await tree();
    const ahead = await start(root);
    await ahead.finished;
    ahead.discard();
    expect(ahead.take(root)).toBeUndefined();
  });

  it('hands a directory it could not read to the taker as the reader error', async () => {
    const root = await tree();
    const ahead = await start(join(root, 'top.txt'));
    await ahead.finished;
    await expect(ahead.take(join(root, 'top.txt'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('dates itself when it starts, for the snapshot start time', async () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const ahead = await start('/nonexistent-cairn-dir', { now: () => at });
    expect(ahead.startedAt).toBe(at);
  });
});
