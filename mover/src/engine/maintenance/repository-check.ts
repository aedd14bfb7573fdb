// `repository check`: a read-only structural check plus a size summary.
// - every index entry (deleted ones still above the watermark included) points into an existing pack
//   blob long enough to hold it;
// - every snapshot's tree is complete (verify/verify.ts: listings readable, every content indexed, live
//   and inside an existing pack; optionally a share of the data decrypted);
// - every pack no index entry refers to is explained (index-plausibility.ts): one holding contents the
//   index has never known means lost index entries, a problem `cairn index recover` repairs;
// - a summary of blobs and bytes by kind, contents live/deleted, and what a full maintenance would
//   reclaim: unused contents (no snapshot or manifest uses them), deleted contents still stored, and
//   pack blobs no index entry refers to (explained ones only: maintenance keeps the others).
import type { BlobMetadata, BlobReader } from '../blob/blob-store.ts';
import { listActiveSessions } from '../content/session-marker.ts';
import { isCairnError } from '../errors.ts';
import type { DirectRepositoryReader } from '../repo/repository.ts';
import { listSnapshots } from '../snapshot/snapshot-manager.ts';
import { verifySnapshots } from '../verify/verify.ts';
import { findUnexplainedPacks } from './index-plausibility.ts';
import { findSnapshotContents, includingDeleted } from './snapshot-contents.ts';

export interface BlobKindSummary {
  count: number;
  bytes: number;
}

export interface StorageSummary {
  readonly blobs: number;
  readonly bytes: number;
  /** By kind: packs (p), metadata packs (q), index (x), sessions (s), logs (_log_), repository (kopia.*), other. */
  readonly byKind: Readonly<Record<string, BlobKindSummary>>;
}

export function blobKind(id: string): string {
  if (id.startsWith('kopia.')) return 'repository';
  if (id.startsWith('_log_')) return 'logs';
  switch (id[0]) {
    case 'p': return 'data-packs';
    case 'q': return 'metadata-packs';
    case 'x': return 'index';
    case 'n': case 'm': case 'l': return 'legacy-index';
    case 's': return 'sessions';
    default: return 'other';
  }
}

/** Lists every blob once and sums them by kind; also returns id -> length. */
export async function measureStorage(store: BlobReader): Promise<StorageSummary & { readonly lengths: ReadonlyMap<string, number> }> {
  const byKind: Record<string, BlobKindSummary> = {};
  const lengths = new Map<string, number>();
  let blobs = 0;
  let bytes = 0;
  for await (const b of store.list('')) {
    blobs++;
    bytes += b.length;
    lengths.set(b.id, b.length);
    const k = (byKind[blobKind(b.id)] ??= { count: 0, bytes: 0 });
    k.count++;
    k.bytes += b.length;
  }
  return { blobs, bytes, byKind, lengths };
}

export interface CheckProblem {
  /** What is wrong where: the blob, content or snapshot path named. */
  readonly message: string;
}

export interface RepositoryCheckReport {
  readonly storage: StorageSummary;
  readonly contents: { live: number; liveBytes: number; deleted: number; deletedBytes: number; manifests: number };
  /** unexplained: unreferenced packs holding contents the index never knew (lost index entries). */
  readonly packs: { referenced: number; unreferenced: number; unreferencedBytes: number; unexplained: number; unexplainedBytes: number };
  readonly snapshots: { count: number; objects: number; contents: number; contentsRead: number };
  /** What a full maintenance run would reclaim (packed bytes), ignoring age margins. */
  readonly reclaimable: { unusedContents: number; unusedContentBytes: number; deletedContentBytes: number; unreferencedPackBytes: number; totalBytes: number };
  /** At most maxProblems; problemCount has the total. */
  readonly problems: readonly CheckProblem[];
  readonly problemCount: number;
}

export interface CheckOptions {
  /** Share of file data to download and decrypt (0..100, default 0). */
  readonly readDataPercent?: number;
  readonly maxProblems?: number;
  readonly signal?: AbortSignal | undefined;
}

export async function checkRepository(repo: DirectRepositoryReader, options: CheckOptions = {}): Promise<RepositoryCheckReport> {
  const maxProblems = options.maxProblems ?? 100;
  const problems: CheckProblem[] = [];
  let problemCount = 0;
  const problem = (message: string): void => {
    problemCount++;
    if (problems.length < maxProblems) problems.push({ message });
  };

  const storage = await measureStorage(repo.blobs);
  const contents = { live: 0, liveBytes: 0, deleted: 0, deletedBytes: 0, manifests: 0 };
  const referenced = new Set<string>();
  for (const ci of repo.contents.iterateContents({ includeDeleted: true })) {
    if (ci.deleted) {
      contents.deleted++;
      contents.deletedBytes += ci.packedLength;
    } else {
      contents.live++;
      contents.liveBytes += ci.packedLength;
      if (ci.contentId.startsWith('m')) contents.manifests++;
    }
    referenced.add(ci.packBlobId);
    const len = storage.lengths.get(ci.packBlobId);
    if (len === undefined) problem(`content ${ci.contentId}${ci.deleted ? ' (deleted)' : ''} is indexed in pack ${ci.packBlobId}, which does not exist`);
    else if (ci.packOffset + ci.packedLength > len) {
      problem(`content ${ci.contentId} is indexed at ${ci.packOffset}+${ci.packedLength} in pack ${ci.packBlobId}, which has only ${len} bytes`);
    }
  }
  let unreferenced = 0;
  let unreferencedBytes = 0;
  const orphans: BlobMetadata[] = [];
  for (const [id, len] of storage.lengths) {
    if ((id.startsWith('p') || id.startsWith('q')) && !referenced.has(id)) orphans.push({ id, length: len, timestamp: new Date(0) });
  }
  let unexplainedBytes = 0;
  const unexplained = orphans.length === 0 ? [] : await findUnexplainedPacks(
    { blobs: repo.blobs, encryptor: repo.encryptor, indexedEntry: (id) => repo.contents.indexedEntry(id) },
    orphans, await listActiveSessions(repo.blobs, repo.encryptor), { signal: options.signal });
  const unexplainedIds = new Set(unexplained.map((u) => u.id));
  for (const u of unexplained) {
    unexplainedBytes += u.length;
    problem(`pack ${u.id} (${u.length} bytes) is referenced by no index entry and ${u.reason}: the index lost entries; \`cairn index recover --commit\` rebuilds them`);
  }
  for (const o of orphans) {
    if (unexplainedIds.has(o.id)) continue;
    unreferenced++;
    unreferencedBytes += o.length;
  }

  const verify = await verifySnapshots(repo, { readDataPercent: options.readDataPercent ?? 0, maxProblems, signal: options.signal });
  for (const p of verify.problems) problem(`snapshot ${p.snapshotId} of ${p.source} at ${p.path}: ${p.message}`);
  problemCount += verify.problemCount - verify.problems.length;

  let unusedContents = 0;
  let unusedContentBytes = 0;
  try {
    const { used } = await findSnapshotContents(includingDeleted(repo.contents), await listSnapshots(repo.manifests),
      new Set<string>(), { signal: options.signal });
    for (const ci of repo.contents.iterateContents()) {
      if (!ci.contentId.startsWith('m') && !used.has(ci.contentId)) {
        unusedContents++;
        unusedContentBytes += ci.packedLength;
      }
    }
  } catch (e) {
    if (!isCairnError(e) || verify.problemCount === 0) throw e; // already reported by verify
  }
  const { lengths: _lengths, ...summary } = storage;
  return {
    storage: summary,
    contents,
    packs: { referenced: referenced.size, unreferenced, unreferencedBytes, unexplained: unexplained.length, unexplainedBytes },
    snapshots: { count: verify.snapshots, objects: verify.objects, contents: verify.contents, contentsRead: verify.contentsRead },
    reclaimable: {
      unusedContents, unusedContentBytes, deletedContentBytes: contents.deletedBytes, unreferencedPackBytes: unreferencedBytes,
      totalBytes: unusedContentBytes + contents.deletedBytes + unreferencedBytes,
    },
    problems,
    problemCount,
  };
}
