// Test helper: snapshots a local directory into a FakeRepository with kopia's listing format (a tiny
// uploader without incremental reuse, ignore rules or workers), so restore and verify can be unit-tested
// against real trees.
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { DirEntry } from '../dir-entry.ts';
import { modeFromStat, mtimeFromNs } from '../dir-entry.ts';
import { encodeDirManifest, summarizeDirectory } from '../dir-manifest.ts';
import type { FakeRepository } from './fake-repository.ts';

function base(name: string, type: 'f' | 'd' | 's', st: BigIntStats): Omit<DirEntry, 'obj'> {
  return {
    name,
    type,
    mode: modeFromStat(st.mode),
    size: type === 'f' ? Number(st.size) : 0,
    mtime: mtimeFromNs(st.mtimeNs),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

export async function snapshotDirectory(repo: FakeRepository, path: string, name = 'root'): Promise<DirEntry> {
  const st = await lstat(path, { bigint: true });
  if (st.isSymbolicLink()) return { ...base(name, 's', st), obj: repo.objects.put(await readlink(path, { encoding: 'buffer' })) };
  if (st.isFile()) return { ...base(name, 'f', st), obj: repo.objects.put(await readFile(path)) };
  const entries: DirEntry[] = [];
  for (const child of await readdir(path)) entries.push(await snapshotDirectory(repo, join(path, child), child));
  const b = base(name, 'd', st);
  const summ = summarizeDirectory(entries, { dirMtime: b.mtime });
  const obj = repo.objects.put(encodeDirManifest(entries, summ), 'k');
  return { ...b, obj, summ };
}
