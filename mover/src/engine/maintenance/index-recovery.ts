// Rebuilding lost index entries from the packs themselves (kopia cli/command_index_recover.go,
// repo/content/content_index_recovery.go RecoverIndexFromPackBlob). Every pack ends with a postamble that
// locates its own encrypted local index (pack-postamble.ts); its entries are what an index blob would say
// about the pack. Recovery reads the local index of every p and q pack (a ranged GET of the last 8 KB, or
// the whole pack when the local index is larger) and, with `commit`, writes the entries the index lacks as
// one new index blob — kopia then reads the repository as before.
//
// An entry is added only when it would win kopia's merge against what the index already has for that
// content (newer timestamp, then live over deleted): a content rewritten elsewhere or deleted by GC keeps
// its newer entry, so recovery never resurrects deleted data or points a content back at an old pack.
import type { BlobMetadata, BlobReader } from '../blob/blob-store.ts';
import type { ContentInfo } from '../content/content-info.ts';
import { infoWins } from '../content/index-segment.ts';
import { recoverPackEntries } from '../content/pack-reader.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { isCairnError } from '../errors.ts';
import { forEachBounded } from '../util/for-each-bounded.ts';

export interface RecoveryRepository {
  readonly blobs: BlobReader;
  readonly encryptor: ContentEncryptor;
  readonly contents: {
    indexedEntry(contentId: string): ContentInfo | undefined;
    addRecoveredEntries?(entries: Iterable<ContentInfo>): void;
  };
  flush?(): Promise<void>;
}

export interface IndexRecoveryOptions {
  /** Write the recovered entries (default: only report them, as kopia without --commit). */
  readonly commit?: boolean;
  /** Packs read at the same time (default 8). */
  readonly parallel?: number;
  readonly signal?: AbortSignal | undefined;
  readonly onPack?: (done: number, total: number) => void;
}

export interface IndexRecoveryReport {
  /** Packs whose local index was read. */
  readonly packsRead: number;
  /** Entries the index lacked (written when committed). */
  readonly recoveredContents: number;
  /** Packs holding at least one of them. */
  readonly recoveredPacks: number;
  readonly committed: boolean;
  /** Packs whose local index could not be read or does not describe them. */
  readonly failures: readonly { readonly pack: string; readonly message: string }[];
}

export async function recoverIndex(repo: RecoveryRepository, options: IndexRecoveryOptions = {}): Promise<IndexRecoveryReport> {
  const packs: BlobMetadata[] = [];
  for (const prefix of ['p', 'q']) for await (const b of repo.blobs.list(prefix)) packs.push(b);
  const recovered = new Map<string, ContentInfo>();
  const packsWithRecovered = new Set<string>();
  const failures: { pack: string; message: string }[] = [];
  let read = 0;
  await forEachBounded(packs, options.parallel ?? 8, async (pack) => {
    let entries: ContentInfo[];
    try {
      entries = await recoverPackEntries(repo.blobs, repo.encryptor, pack.id, pack.length);
    } catch (e) {
      if (!isCairnError(e) || e.code !== 'CORRUPT') throw e;
      failures.push({ pack: pack.id, message: e.message });
      return;
    }
    read++;
    options.onPack?.(read + failures.length, packs.length);
    const foreign = entries.find((e) => e.packBlobId !== pack.id || e.packOffset + e.packedLength > pack.length);
    if (foreign !== undefined) {
      failures.push({ pack: pack.id, message: `the local index of pack ${pack.id} describes ${foreign.packBlobId} at ${foreign.packOffset}+${foreign.packedLength}, not this pack` });
      return;
    }
    for (const e of entries) {
      const known = repo.contents.indexedEntry(e.contentId);
      if (known !== undefined && !infoWins(e, known)) continue;
      const other = recovered.get(e.contentId);
      if (other !== undefined && !infoWins(e, other)) continue;
      recovered.set(e.contentId, e);
      packsWithRecovered.add(pack.id);
    }
  }, options.signal);
  const commit = options.commit === true && recovered.size > 0;
  if (commit) {
    if (repo.contents.addRecoveredEntries === undefined || repo.flush === undefined) throw new TypeError('committing a recovery needs a writable repository');
    repo.contents.addRecoveredEntries(recovered.values());
    await repo.flush();
  }
  failures.sort((a, b) => (a.pack < b.pack ? -1 : a.pack > b.pack ? 1 : 0));
  return { packsRead: read, recoveredContents: recovered.size, recoveredPacks: packsWithRecovered.size, committed: commit, failures };
}
