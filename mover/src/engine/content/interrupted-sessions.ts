// Resume after an interrupted write session (Ctrl-C, a killed pod, a full disk): the packs it stored are
// complete and readable, but no index blob names them, so a rerun would upload their contents again —
// and on a full volume the orphans would take the space the rerun needs. Their session marker is still
// there (a writer deletes it only after writing its index), so a rerun of the same client (user@host in
// the marker, as kopia's SessionInfo) finds those packs, reads each one's local index (the postamble
// points at it; AEAD-authenticated, as `kopia index recover` reads it) and indexes their contents with its
// own next index blob: what was uploaded is reused instead of uploaded again. Manifest contents ("m") of
// those packs are NOT indexed: an interrupted run commits nothing, and its snapshot manifest (saved just
// before the commit that never came) must not appear, least of all pointing at data it never stored.
//
// Safe alongside maintenance: only sessions whose marker checkpoint is younger than `maxAgeMs` (default
// 24 h) are resumed, while maintenance keeps the packs of a session for 96 h after its checkpoint (kopia's
// SessionExpirationAge) — and the writer indexes what it resumed at its next flush (at most 10 minutes
// later for a long run). Markers are left alone: the session may belong to another run still writing.
import type { BlobMetadata, BlobReader } from '../blob/blob-store.ts';
import { listAll } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { isCairnError } from '../errors.ts';
import type { ContentInfo } from './content-info.ts';
import { recoverPackEntries } from './pack-reader.ts';
import { listActiveSessions, sessionIdFromBlobId } from './session-marker.ts';
import { forEachBounded } from '../util/for-each-bounded.ts';

export const DEFAULT_RESUME_MAX_AGE_MS = 24 * 3_600_000;
const PACK_PREFIXES = ['p', 'q'] as const;
const READ_PARALLELISM = 8;
/** Manifest contents (manifest layer, kopia ContentPrefixManifest): never resumed. */
const MANIFEST_PREFIX = 'm';

export interface ResumeIdentity {
  readonly username: string;
  readonly hostname: string;
  readonly now: Date;
  readonly maxAgeMs?: number;
}

export interface ResumedPacks {
  /** Index entries of the complete packs found, as their local indexes state them. */
  readonly entries: ContentInfo[];
  readonly sessions: number;
  readonly packs: number;
  /** Stored bytes of those packs. */
  readonly bytes: number;
  /** Packs of those sessions that could not be read back (damaged or gone): left alone. */
  readonly skipped: number;
}

const NOTHING: ResumedPacks = { entries: [], sessions: 0, packs: 0, bytes: 0, skipped: 0 };

/**
 * Packs of this client's interrupted sessions that no index names yet. `isIndexed` says whether a pack
 * blob is already named by the committed index; it is called only when such sessions exist.
 */
export async function findInterruptedPacks(store: BlobReader, encryptor: ContentEncryptor, isIndexed: () => (packBlobId: string) => boolean,
  who: ResumeIdentity): Promise<ResumedPacks> {
  const maxAge = who.maxAgeMs ?? DEFAULT_RESUME_MAX_AGE_MS;
  const sessions = new Set<string>();
  for (const [id, s] of await listActiveSessions(store, encryptor)) {
    const age = who.now.getTime() - s.checkpointTime.getTime();
    if (s.username === who.username && s.hostname === who.hostname && age >= 0 && age < maxAge) sessions.add(id);
  }
  if (sessions.size === 0) return NOTHING;
  const indexed = isIndexed();
  const candidates: BlobMetadata[] = [];
  for (const prefix of PACK_PREFIXES) {
    for (const bm of await listAll(store, prefix)) {
      if (sessions.has(sessionIdFromBlobId(bm.id)) && !indexed(bm.id)) candidates.push(bm);
    }
  }
  const entries: ContentInfo[] = [];
  let packs = 0;
  let bytes = 0;
  let skipped = 0;
  await forEachBounded(candidates, READ_PARALLELISM, async (bm) => {
    let found: ContentInfo[];
    try {
      found = await recoverPackEntries(store, encryptor, bm.id, bm.length);
    } catch (e) {
      // A pack cut short or damaged, or deleted meanwhile: not resumable, and not this run's business.
      if (e instanceof BlobNotFoundError || (isCairnError(e) && e.code === 'CORRUPT')) {
        skipped++;
        return;
      }
      throw e;
    }
    if (found.some((c) => c.packBlobId !== bm.id || c.deleted || c.packOffset + c.packedLength > bm.length)) {
      skipped++;
      return;
    }
    for (const c of found) if (!c.contentId.startsWith(MANIFEST_PREFIX)) entries.push(c);
    packs++;
    bytes += bm.length;
  });
  return { entries, sessions: sessions.size, packs, bytes, skipped };
}
