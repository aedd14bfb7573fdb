// Is the index set plausible? A repository whose index blobs were lost (deleted by hand, a bad sync, a
// restore of the bucket without its x* objects) looks empty and healthy, and pack GC would then delete
// every pack. The rule, for epoch-indexed repositories (whose compactions keep tombstones):
//
//   A pack no index entry refers to is EXPLAINED when
//   - its write session still has a marker (a backup running now, or one that crashed: kopia's rule, the
//     session expiry, decides), or
//   - every content its own local index lists (read through the pack's postamble, as `kopia index
//     recover` does) is known to the index — live in another pack (rewritten), or deleted (tombstone,
//     however old), which is how a pack becomes garbage legitimately.
//   Any other pack is UNEXPLAINED: it holds contents the index has never heard of, and its session
//   finished (a session deletes its marker only after writing its index blob) — the index lost entries.
//
// Maintenance deletes nothing while a pack is unexplained (maintenance-run.ts, pack-gc.ts); `repository
// check` reports such packs; `cairn index recover` (index-recovery.ts) puts their entries back. Pack GC
// deletes session markers only after the packs of their session, so an interrupted run never leaves
// marker-less orphans behind.
import type { BlobMetadata, BlobReader } from '../blob/blob-store.ts';
import type { ContentInfo } from '../content/content-info.ts';
import { recoverPackEntries } from '../content/pack-reader.ts';
import { sessionIdFromBlobId, type SessionInfo } from '../content/session-marker.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { CairnError, isCairnError } from '../errors.ts';
import { forEachBounded } from '../util/for-each-bounded.ts';

export interface UnexplainedPack {
  readonly id: string;
  readonly length: number;
  /** Contents of its local index the index does not know, or -1 when the local index cannot be read. */
  readonly unknownContents: number;
  readonly reason: string;
}

export interface PlausibilityInput {
  readonly blobs: BlobReader;
  readonly encryptor: ContentEncryptor;
  /** The committed winning entry of a content whatever its state, or undefined if the index never knew it. */
  indexedEntry(contentId: string): ContentInfo | undefined;
}

/** The packs among `unreferenced` (p/q packs no index entry refers to) that nothing explains. */
export async function findUnexplainedPacks(repo: PlausibilityInput, unreferenced: readonly BlobMetadata[],
  sessions: ReadonlyMap<string, SessionInfo>, options: { readonly parallel?: number; readonly signal?: AbortSignal | undefined } = {}): Promise<UnexplainedPack[]> {
  const candidates = unreferenced.filter((b) => /^[pq]/.test(b.id) && !sessions.has(sessionIdFromBlobId(b.id)));
  const out: UnexplainedPack[] = [];
  await forEachBounded(candidates, options.parallel ?? 8, async (b) => {
    let entries: ContentInfo[];
    try {
      entries = await recoverPackEntries(repo.blobs, repo.encryptor, b.id, b.length);
    } catch (e) {
      if (!isCairnError(e) || e.code !== 'CORRUPT') throw e;
      out.push({ id: b.id, length: b.length, unknownContents: -1, reason: `its local index cannot be read (${e.message})` });
      return;
    }
    const unknown = entries.filter((e) => repo.indexedEntry(e.contentId) === undefined).length;
    if (unknown > 0) out.push({ id: b.id, length: b.length, unknownContents: unknown, reason: `${unknown} of its ${entries.length} contents are unknown to the index` });
  }, options.signal);
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Maintenance refuses to delete anything while packs are unexplained. */
export class ImplausibleIndexError extends CairnError {
  readonly packs: readonly UnexplainedPack[];
  constructor(packs: readonly UnexplainedPack[]) {
    const bytes = packs.reduce((n, p) => n + p.length, 0);
    const first = packs[0]!;
    super('REFUSED', `the index looks incomplete: ${packs.length} pack(s) (${bytes} bytes) are referenced by no index entry and explained by nothing (e.g. ${first.id}: ${first.reason}); maintenance deletes nothing until the index covers them`, {
      hint: 'rebuild the lost index entries from the packs with `cairn index recover --commit`, then run maintenance again (`cairn repository check` lists the packs)',
    });
    this.packs = packs;
  }
}
