// Which contents the snapshots use (kopia snapshotgc findInUseContentIDs + snapshotfs.TreeWalker +
// repo VerifyObject): every snapshot manifest — complete and checkpoint alike — is walked from its root;
// each entry's object contributes all its contents (indirect index contents included); directory
// listings are read and walked. Objects shared between snapshots are visited once. Contents marked
// deleted are still read (a racing GC may have marked a used listing deleted; GC must repair it, not
// fail), straight from their packs. A used content missing from the index is an error, so GC never acts
// on an incomplete picture.
import type { ContentInfo } from '../content/content-info.ts';
import type { PackContentsReader } from '../content/pack-contents-reader.ts';
import { CorruptionError } from '../errors.ts';
import { ObjectManager } from '../object/object-manager.ts';
import { decodeDirManifest } from '../snapshot/dir-manifest.ts';
import type { SnapshotManifest } from '../snapshot/snapshot-manifest.ts';
import { formatSourceInfo } from '../snapshot/source-info.ts';

/** The content calls the walk needs. */
export interface WalkContents {
  getContent(contentId: string): Promise<Buffer>;
  contentInfo(contentId: string): ContentInfo | undefined;
}

/** A content reader that also returns contents marked deleted (read directly from their packs). */
export function includingDeleted(contents: WalkContents & { packReader(): PackContentsReader }): WalkContents {
  const packs = contents.packReader();
  return {
    contentInfo: (id) => contents.contentInfo(id),
    async getContent(id) {
      const info = contents.contentInfo(id);
      if (info?.deleted !== true) return contents.getContent(id);
      return packs.readContent(info);
    },
  };
}

export interface SnapshotContentsOptions {
  /** Objects processed at the same time (default 8). */
  readonly parallel?: number;
  readonly signal?: AbortSignal | undefined;
}

/** Where the walk records used content IDs: a Set<string>, or GC's ContentMarks. */
export interface UsedContentSink {
  add(contentId: string): unknown;
}

export interface SnapshotContentsResult<S extends UsedContentSink = Set<string>> {
  readonly used: S;
  readonly snapshots: number;
  readonly objects: number;
  readonly directories: number;
}

interface Task {
  readonly obj: string;
  readonly dir: boolean;
  readonly snapshot: SnapshotManifest;
  readonly path: string;
}

/** Walks the given snapshots and adds every content ID they use to `used`. */
export async function findSnapshotContents<S extends UsedContentSink>(contents: WalkContents, manifests: readonly SnapshotManifest[],
  used: S, options: SnapshotContentsOptions = {}): Promise<SnapshotContentsResult<S>> {
  const objects = new ObjectManager(contents);
  const visited = new Set<string>();
  const queue: Task[] = [];
  let directories = 0;
  for (const m of manifests) {
    if (m.rootEntry !== undefined && m.rootEntry.obj !== '') queue.push({ obj: m.rootEntry.obj, dir: m.rootEntry.type === 'd', snapshot: m, path: '.' });
  }
  const where = (t: Task): string => `snapshot ${t.snapshot.id} of ${formatSourceInfo(t.snapshot.source)} at ${t.path}`;
  const process = async (t: Task): Promise<void> => {
    // streamed level by level: a huge file's IDs are never all in memory at once
    let missing: string | undefined;
    try {
      await objects.forEachContent(t.obj, (id) => {
        if (missing === undefined && contents.contentInfo(id) === undefined) missing = id;
        used.add(id);
      });
    } catch (e) {
      throw new CorruptionError(`${where(t)}: object ${t.obj} cannot be read`, { cause: e, hint: 'fix or delete the damaged snapshot before running maintenance (`cairn repository check` lists problems)' });
    }
    if (missing !== undefined) {
      throw new CorruptionError(`${where(t)}: content ${missing} of object ${t.obj} is missing from the index`, {
        hint: 'fix or delete the damaged snapshot before running maintenance (`cairn repository check` lists problems)',
      });
    }
    if (!t.dir) return;
    directories++;
    let listing;
    try {
      const reader = await objects.openObject(t.obj);
      listing = decodeDirManifest(await reader.readAll(), t.obj);
    } catch (e) {
      throw new CorruptionError(`${where(t)}: directory listing ${t.obj} cannot be read`, { cause: e, hint: 'fix or delete the damaged snapshot before running maintenance' });
    }
    for (const e of listing.entries) {
      if (e.obj === '' || visited.has(e.obj)) continue;
      visited.add(e.obj);
      queue.push({ obj: e.obj, dir: e.type === 'd', snapshot: t.snapshot, path: t.path === '.' ? e.name : `${t.path}/${e.name}` });
    }
  };
  for (const t of queue) visited.add(t.obj);
  const parallel = Math.max(1, options.parallel ?? 8);
  let active = 0;
  let failure: unknown;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (failure === undefined && active < parallel && queue.length > 0) {
        if (options.signal?.aborted === true) {
          failure = options.signal.reason;
          break;
        }
        const t = queue.pop()!;
        active++;
        process(t).catch((e: unknown) => {
          failure ??= e;
        }).finally(() => {
          active--;
          pump();
        });
      }
      if (active === 0) resolve();
    };
    pump();
  });
  if (failure !== undefined) throw failure;
  return { used, snapshots: manifests.length, objects: visited.size, directories };
}
