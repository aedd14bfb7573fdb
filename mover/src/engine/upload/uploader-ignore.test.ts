// The uploader applies the policy layer's ignore rules directly: tree-wide rules (--exclude), the source's
// .kopiaignore, and a subdirectory's .kopiaignore scoped to that subdirectory (kopia's ignorefs semantics).
import { describe, expect, it } from 'vitest';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useScratchRepository } from '../snapshot/test-support/scratch-repository.ts';
import { decodeDirManifest } from '../snapshot/dir-manifest.ts';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { createIgnoreMatcher } from '../policy/ignore-rules.ts';
import { ListingReadAhead } from './listing-read-ahead.ts';
import { Uploader } from './uploader.ts';

const scratch = useScratchRepository('ignore');

async function paths(entry: DirEntry, prefix = ''): Promise<string[]> {
  const listing = decodeDirManifest(await (await scratch.repo.objects.openObject(entry.obj)).readAll(), prefix || 'root');
  const out: string[] = [];
  for (const e of listing.entries) {
    const p = `${prefix}${e.name}`;
    out.push(p);
    if (e.type === 'd') out.push(...await paths(e, `${p}/`));
  }
  return out.sort();
}

describe('uploader ignore rules', () => {
  // with listings read ahead on their thread, an excluded directory's listings are dropped and nothing changes
  it.each([false, true])('applies --exclude rules, the root .kopiaignore and a nested one only below its directory (read ahead: %s)', async (readingAhead) => {
    const src = join(scratch.work, `src-${readingAhead}`);
    await mkdir(join(src, 'app', 'cache'), { recursive: true });
    await mkdir(join(src, 'other'), { recursive: true });
    await writeFile(join(src, '.kopiaignore'), '*.tmp\n');
    await writeFile(join(src, 'app', '.kopiaignore'), 'cache/\n*.log\n');
    for (const f of ['keep.txt', 'drop.tmp', 'secret.key', 'app/a.log', 'app/main.c', 'app/cache/x', 'other/b.log', 'other/c.tmp']) {
      await writeFile(join(src, f), f);
    }
    const readAhead = readingAhead ? await ListingReadAhead.start(src) : undefined;
    await readAhead?.finished; // every listing, the excluded app/cache's too, has been sent
    const uploader = new Uploader(scratch.repo, {
      sourcePath: src, source: { host: 'h', userName: 'u', path: '/src' }, workers: 1, previous: null,
      ignore: createIgnoreMatcher({ rules: ['*.key'], ignoreFileNames: ['.kopiaignore'] }), readAhead,
    });
    const result = await uploader.run();
    expect(await paths(result.manifest.rootEntry!)).toEqual(
      ['.kopiaignore', 'app', 'app/.kopiaignore', 'app/main.c', 'keep.txt', 'other', 'other/b.log']);
  });

  it('skips a subdirectory whose ignore file cannot be read, as a failed entry, and backs up the rest', async () => {
    const src = join(scratch.work, 'src-unreadable');
    await mkdir(join(src, 'bad'), { recursive: true });
    await mkdir(join(src, 'good'), { recursive: true });
    await symlink('.kopiaignore', join(src, 'bad', '.kopiaignore')); // a loop: ELOOP, even for root
    for (const f of ['bad/secret.log', 'good/a.log', 'top.txt']) await writeFile(join(src, f), f);
    const uploader = new Uploader(scratch.repo, {
      sourcePath: src, source: { host: 'h', userName: 'u', path: '/src-unreadable' }, workers: 1, previous: null,
      ignore: createIgnoreMatcher({ ignoreFileNames: ['.kopiaignore'] }),
    });
    const result = await uploader.run();
    expect(await paths(result.manifest.rootEntry!)).toEqual(['good', 'good/a.log', 'top.txt']);
    expect(result.failures).toEqual([expect.objectContaining({ path: 'bad', errno: 'ELOOP', message: expect.stringContaining('cannot read its .kopiaignore') })]);
    expect(result.manifest.rootEntry!.summ?.numFailed).toBe(1);
    expect(result.manifest.stats.dirCount).toBe(3);
  });
});
