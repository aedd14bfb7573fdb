// Verify (kopia cli/command_snapshot_verify.go, snapshot/snapshotfs/snapshot_verifier.go): checks that
// everything the snapshots reference exists, and optionally that a share of the data decrypts.
//
// 1. One listing of the p/q pack blobs. Every snapshot tree is walked (objects shared between snapshots
//    are checked once): directory listings are read and parsed, each object's contents are looked up in
//    the index and must lie inside an existing pack (no per-content GETs).
// 2. With readDataPercent N, a deterministic (seeded) N% of the data contents is downloaded — grouped by
//    pack into large ranged reads — decrypted and decompressed. Listings and indirect indexes are always
//    read in step 1.
// 3. Only when something is bad, the trees are walked again to name every affected path in every
//    snapshot. Clean subtrees are skipped after their first visit, and within a snapshot a damaged
//    listing is walked once (met again, it is named by the path it was first found at), so a hostile
//    tree costs time and memory in proportion to its listings, not to its 2^depth paths.
import type { ContentInfo } from '../content/content-info.ts';
import { CairnError, isCairnError } from '../errors.ts';
import type { RepositoryReader } from '../repo/repository.ts';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { decodeDirManifest } from '../snapshot/dir-manifest.ts';
import { Semaphore } from '../util/semaphore.ts';
import type { SnapshotManifest } from '../snapshot/snapshot-manifest.ts';
import { listSnapshots, loadSnapshot } from '../snapshot/snapshot-manager.ts';
import { formatSourceInfo } from '../snapshot/source-info.ts';
import type { SourceInfo } from '../snapshot/source-info.ts';
import { isSampled, readContents } from './verify-content-reader.ts';

export interface VerifyProblem {
  readonly snapshotId: string;
  /** `user@host:/path` of the snapshot. */
  readonly source: string;
  /** Path inside the snapshot ("." for the root). */
  readonly path: string;
  readonly message: string;
}

export interface VerifyProgress {
  readonly objects: number;
  readonly contents: number;
  readonly contentsRead: number;
  readonly bytesRead: number;
}

export interface VerifyReport extends VerifyProgress {
  readonly snapshots: number;
  /** At most `maxProblems`; `problemCount` has the total. */
  readonly problems: readonly VerifyProblem[];
  readonly problemCount: number;
}

export interface VerifyOptions {
  /** Only snapshots of this source. */
  readonly source?: SourceInfo | undefined;
  /** Only these snapshot IDs. */
  readonly snapshotIds?: readonly string[] | undefined;
  /** Share of data contents to download and decrypt, 0..100 (default 0). */
  readonly readDataPercent?: number;
  /** Seed of the sampling (default: a fixed one, so repeated runs read the same contents). */
  readonly seed?: string;
  /** Parallel listing loads and pack reads (default 8). */
  readonly parallel?: number;
  readonly maxProblems?: number;
  readonly onProgress?: (progress: VerifyProgress) => void;
  readonly signal?: AbortSignal;
}

const DEFAULT_SEED = 'cairn-verify';

/** Step 3's memory of one snapshot: directory object -> where it was first met, whether its subtree is clean. */
type LocatedDirs = Map<string, { readonly path: string; readonly clean: Promise<boolean> }>;

function childPath(parent: string, name: string): string {
  return parent === '.' ? name : `${parent}/${name}`;
}

class Verifier {
  private readonly repo: RepositoryReader;
  private readonly options: VerifyOptions;
  private readonly limiter: Semaphore;
  private packs = new Map<string, number>();
  /** Object ID -> why it is bad ("" = fine). Objects are checked once across all snapshots. */
  private readonly objects = new Map<string, Promise<string>>();
  private readonly contentsChecked = new Set<string>();
  private readonly badContents = new Map<string, string>();
  private readonly sampled = new Map<string, ContentInfo>();
  private bad = false;
  private readonly cleanDirs = new Set<string>();
  private readonly objectVerdicts = new Map<string, string>();
  private contentsRead = 0;
  private bytesRead = 0;
  private lastProgress = 0;

  constructor(repo: RepositoryReader, options: VerifyOptions) {
    this.repo = repo;
    this.options = options;
    this.limiter = new Semaphore(options.parallel ?? 8);
  }

  private report(final = false): void {
    const cb = this.options.onProgress;
    if (cb === undefined) return;
    const now = Date.now();
    if (!final && now - this.lastProgress < 250) return;
    this.lastProgress = now;
    cb({ objects: this.objects.size, contents: this.contentsChecked.size, contentsRead: this.contentsRead, bytesRead: this.bytesRead });
  }

  private checkAbort(): void {
    if (this.options.signal?.aborted === true) {
      throw new CairnError('INTERRUPTED', 'verify interrupted', { hint: 'Run the verify again.' });
    }
  }

  async listPacks(): Promise<void> {
    for await (const b of this.repo.contents.packReader().listPacks()) this.packs.set(b.id, b.length);
  }

  /** Problem text for a content, or "" (checks index entry and pack; samples data contents). */
  private checkContent(contentId: string): string {
    const known = this.badContents.get(contentId);
    if (known !== undefined) return known;
    if (this.contentsChecked.has(contentId)) return '';
    this.contentsChecked.add(contentId);
    const info = this.repo.contents.contentInfo(contentId);
    let why = '';
    if (info === undefined) why = `content ${contentId} is missing from the index`;
    else if (info.deleted) why = `content ${contentId} is marked deleted in the index`;
    else {
      const size = this.packs.get(info.packBlobId);
      if (size === undefined) why = `pack ${info.packBlobId} holding content ${contentId} is missing`;
      else if (size < info.packOffset + info.packedLength) {
        why = `pack ${info.packBlobId} has ${size} bytes but content ${contentId} ends at ${info.packOffset + info.packedLength}`;
      } else if (/^[0-9a-f]/.test(contentId) && isSampled(contentId, this.options.readDataPercent ?? 0, this.options.seed ?? DEFAULT_SEED)) {
        this.sampled.set(contentId, info);
      }
    }
    if (why !== '') this.badContents.set(contentId, why);
    return why;
  }

  /** Problem text for an object (its contents, and for directories its listing), or "". */
  private checkObject(objectId: string): Promise<string> {
    let p = this.objects.get(objectId);
    if (p === undefined) {
      p = (async () => {
        if (objectId === '') return '';
        let ids: string[];
        try {
          ids = await this.limiter.run(() => this.repo.objects.objectContents(objectId));
        } catch (e) {
          if (!isCairnError(e)) throw e;
          this.bad = true;
          return `object ${objectId} cannot be read: ${e.message}`;
        }
        let why = '';
        for (const c of ids) {
          const w = this.checkContent(c);
          if (w !== '' && why === '') why = w;
        }
        if (why !== '') this.bad = true;
        return why;
      })();
      this.objects.set(objectId, p);
    }
    return p;
  }

  private async readListing(entry: DirEntry): Promise<DirEntry[] | string> {
    const bad = await this.checkObject(entry.obj);
    if (bad !== '') return bad;
    try {
      const bytes = await this.limiter.run(async () => (await this.repo.objects.openObject(entry.obj)).readAll());
      return [...decodeDirManifest(bytes, entry.obj).entries];
    } catch (e) {
      if (!isCairnError(e)) throw e;
      this.bad = true;
      return `directory ${entry.obj} cannot be read: ${e.message}`;
    }
  }

  /** Step 1: checks every object below `entry` once. */
  async check(entry: DirEntry): Promise<void> {
    this.checkAbort();
    if (entry.type !== 'd') {
      await this.checkObject(entry.obj);
      this.report();
      return;
    }
    const listing = await this.readListing(entry);
    if (typeof listing === 'string') return;
    await Promise.all(listing.map((c) => (c.type === 'd' && this.objects.has(c.obj) ? undefined : this.check(c))));
  }

  /** Step 2. */
  async readSampled(): Promise<void> {
    const r = await readContents(this.repo, this.sampled.values(), {
      parallel: this.options.parallel ?? 8,
      signal: this.options.signal,
      onRead: (n, b) => {
        this.contentsRead = n;
        this.bytesRead = b;
        this.report();
      },
    });
    this.contentsRead = r.contentsRead;
    this.bytesRead = r.bytesRead;
    for (const [id, why] of r.failures) this.badContents.set(id, why);
    this.checkAbort();
  }

  /** True when step 1 or 2 found anything (only then step 3 runs). */
  get anyBad(): boolean {
    return this.bad || this.badContents.size > 0;
  }

  private async verdict(objectId: string): Promise<string> {
    const cached = this.objectVerdicts.get(objectId);
    if (cached !== undefined) return cached;
    let why = await this.checkObject(objectId);
    if (why === '' && this.badContents.size > 0 && objectId !== '') {
      for (const c of await this.limiter.run(() => this.repo.objects.objectContents(objectId))) {
        const bad = this.badContents.get(c);
        if (bad !== undefined) {
          why = bad;
          break;
        }
      }
    }
    this.objectVerdicts.set(objectId, why);
    return why;
  }

  /**
   * Step 3: names every path below `entry` whose object is bad; returns whether the subtree is clean.
   * Clean subtrees are skipped after their first visit; within one snapshot each damaged listing is walked
   * once, and a damaged subtree reached again through another path (a forged tree can share one listing
   * 2^depth times) is named once more as a whole, by the path it was first found at. `seen` is per snapshot.
   */
  async locate(entry: DirEntry, path: string, out: (path: string, message: string) => void, seen: LocatedDirs): Promise<boolean> {
    this.checkAbort();
    if (entry.type === 'd') {
      if (this.cleanDirs.has(entry.obj)) return true;
      const first = seen.get(entry.obj);
      if (first !== undefined) {
        const clean = await first.clean;
        if (!clean) out(path, `directory ${entry.obj} is the damaged directory already reported at ${first.path}`);
        return clean;
      }
      const clean = this.locateDir(entry, path, out, seen);
      seen.set(entry.obj, { path, clean });
      if (await clean) this.cleanDirs.add(entry.obj);
      return clean;
    }
    const why = await this.verdict(entry.obj);
    if (why !== '') out(path, why);
    return why === '';
  }

  private async locateDir(entry: DirEntry, path: string, out: (path: string, message: string) => void, seen: LocatedDirs): Promise<boolean> {
    const why = await this.verdict(entry.obj);
    if (why !== '') {
      out(path, why);
      return false;
    }
    const listing = await this.readListing(entry);
    if (typeof listing === 'string') {
      out(path, listing);
      return false;
    }
    const results = await Promise.all(listing.map((c) => this.locate(c, childPath(path, c.name), out, seen)));
    return results.every(Boolean);
  }

  stats(): VerifyProgress {
    return { objects: this.objects.size, contents: this.contentsChecked.size, contentsRead: this.contentsRead, bytesRead: this.bytesRead };
  }

  finalReport(): void {
    this.report(true);
  }
}

/** Verifies the snapshots (all, one source's, or the given IDs) and names every affected file. */
export async function verifySnapshots(repo: RepositoryReader, options: VerifyOptions = {}): Promise<VerifyReport> {
  const maxProblems = options.maxProblems ?? 10_000;
  let snapshots: SnapshotManifest[];
  if (options.snapshotIds !== undefined) snapshots = await Promise.all(options.snapshotIds.map((id) => loadSnapshot(repo.manifests, id)));
  else snapshots = await listSnapshots(repo.manifests, options.source);
  const v = new Verifier(repo, options);
  await v.listPacks();
  for (const s of snapshots) if (s.rootEntry !== undefined) await v.check(s.rootEntry);
  await v.readSampled();
  const problems: VerifyProblem[] = [];
  let problemCount = 0;
  for (const s of snapshots) {
    const source = formatSourceInfo(s.source);
    const add = (path: string, message: string): void => {
      problemCount++;
      if (problems.length < maxProblems) problems.push({ snapshotId: s.id, source, path, message });
    };
    if (s.rootEntry === undefined) add('.', `snapshot ${s.id} has no root entry`);
    else if (v.anyBad) await v.locate(s.rootEntry, '.', add, new Map());
  }
  v.finalReport();
  return { snapshots: snapshots.length, ...v.stats(), problems, problemCount };
}
