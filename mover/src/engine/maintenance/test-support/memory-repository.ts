// Test helpers for maintenance unit tests: a real Repository (content manager, manifest manager, object
// manager) over a MemoryBlobStore whose timestamps come from a settable clock, and a tiny snapshot writer
// (files of given bytes in one directory, or nested directories) so GC has trees to walk.
import type { BlobStore } from '../../blob/blob-store.ts';
import { MemoryBlobStore } from '../../blob/memory-store.ts';
import { ContentManager } from '../../content/content-manager.ts';
import { testRepositoryFormat } from '../../content/content-test-support.ts';
import type { RepositoryConfig, RepositoryFormat } from '../../format/repository-config.ts';
import { ManifestManager } from '../../manifest/manifest-manager.ts';
import { Repository } from '../../repo/open-repository.ts';
import type { DirEntry } from '../../snapshot/dir-entry.ts';
import { decodeDirManifest, encodeDirManifest, summarizeDirectory } from '../../snapshot/dir-manifest.ts';
import { emptySnapshotStats } from '../../snapshot/snapshot-manifest.ts';
import { saveSnapshot } from '../../snapshot/snapshot-manager.ts';
import type { SourceInfo } from '../../snapshot/source-info.ts';

export class TestClock {
  ms: number;
  constructor(iso = '2025-06-01T00:00:00Z') {
    this.ms = Date.parse(iso);
  }
  readonly now = (): Date => new Date(this.ms);
  readonly nanos = (): bigint => BigInt(this.ms) * 1_000_000n;
  advanceHours(h: number): void {
    this.ms += h * 3_600_000;
  }
}

export interface MemoryRepo {
  readonly store: MemoryBlobStore;
  readonly format: RepositoryFormat;
  readonly clock: TestClock;
  /** Opens a fresh Repository over the same store (as a new process would). */
  open(store?: BlobStore): Promise<Repository>;
}

export function memoryRepo(clock = new TestClock(), config: Partial<RepositoryConfig> = {}): MemoryRepo {
  const store = new MemoryBlobStore(clock.now);
  const format = testRepositoryFormat(config);
  return {
    store, format, clock,
    async open(s: BlobStore = store) {
      const contents = await ContentManager.open(s, format, { now: clock.now, autoFlushMs: 0 });
      const manifests = await ManifestManager.load(contents, { now: clock.nanos });
      return new Repository(format, s, contents, manifests);
    },
  };
}

export type TreeSpec = { readonly [name: string]: Buffer | TreeSpec };

const MTIME = '2025-01-01T00:00:00Z';

async function writeTree(repo: Repository, spec: TreeSpec, name: string): Promise<DirEntry> {
  const entries: DirEntry[] = [];
  for (const [child, v] of Object.entries(spec).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (Buffer.isBuffer(v)) {
      const w = repo.objects.newWriter({ description: child });
      await w.write(v);
      entries.push({ name: child, type: 'f', mode: 0o644, size: v.length, mtime: MTIME, uid: 0, gid: 0, obj: await w.result() });
    } else {
      entries.push(await writeTree(repo, v, child));
    }
  }
  entries.sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : 1) : a.type === 'd' ? -1 : 1));
  const summ = summarizeDirectory(entries, { dirMtime: MTIME });
  const w = repo.objects.newWriter({ prefix: 'k', description: name });
  await w.write(encodeDirManifest(entries, summ));
  return { name, type: 'd', mode: 0o755, size: 0, mtime: MTIME, uid: 0, gid: 0, obj: await w.result(), summ };
}

export const TEST_SOURCE: SourceInfo = { host: 'host', userName: 'user', path: '/data' };

/** Writes a snapshot of `spec` and commits it; returns the manifest ID. */
export async function writeSnapshot(repo: Repository, spec: TreeSpec, clock: TestClock, options: { source?: SourceInfo; incomplete?: string } = {}): Promise<string> {
  const root = await writeTree(repo, spec, 'root');
  const t = clock.now().toISOString();
  const id = await saveSnapshot(repo.manifests, {
    id: '', source: options.source ?? TEST_SOURCE, description: '', startTime: t, endTime: t, stats: emptySnapshotStats(),
    rootEntry: root, ...(options.incomplete !== undefined ? { incomplete: options.incomplete } : {}),
  });
  await repo.flush();
  return id;
}

/** Reads every file of a snapshot tree back (throws when anything is missing). */
export async function readTree(repo: Repository, obj: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  const walk = async (o: string, prefix: string): Promise<void> => {
    const listing = decodeDirManifest(await (await repo.objects.openObject(o)).readAll(), o);
    for (const e of listing.entries) {
      if (e.type === 'd') await walk(e.obj, `${prefix}${e.name}/`);
      else out[`${prefix}${e.name}`] = Buffer.from(await (await repo.objects.openObject(e.obj)).readAll());
    }
  };
  await walk(obj, '');
  return out;
}
