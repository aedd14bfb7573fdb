// Rewriting contents out of mostly-empty packs (kopia repo/maintenance/content_rewrite.go): a pack whose
// indexed contents (deleted ones included) add up to less than 60% of maxPackSize is "short"; the live
// contents of short packs are copied into new, full packs with newer index entries, which orphans the old
// packs for pack GC to delete later. Per pack prefix the first short pack is left alone until a second
// one shows up (no point rewriting a lone pack). Contents younger than RewriteMinAge stay put.
// Difference from kopia: contents already marked deleted are not copied (kopia copies them as deleted);
// their old pack simply stays referenced until the deletion watermark passes them, then pack GC removes it.
import type { ContentInfo } from '../content/content-info.ts';
import type { DirectRepository } from '../repo/repository.ts';

export const SHORT_PACK_THRESHOLD_PERCENT = 60;

export interface PackUsage {
  readonly packBlobId: string;
  contentCount: number;
  /** Sum of the packed lengths of the indexed contents. */
  totalSize: number;
}

/**
 * Index entries counted by pack (kopia IteratePacks with IncludePacksWithOnlyDeletedContent). Only the
 * totals are kept: a repository of 10 million contents has a few thousand packs, and the contents of
 * the packs chosen for rewriting are listed in a second pass.
 */
export function packUsage(contents: Iterable<ContentInfo>, prefix = ''): Map<string, PackUsage> {
  const out = new Map<string, PackUsage>();
  for (const ci of contents) {
    if (!ci.packBlobId.startsWith(prefix)) continue;
    let u = out.get(ci.packBlobId);
    if (u === undefined) {
      u = { packBlobId: ci.packBlobId, contentCount: 0, totalSize: 0 };
      out.set(ci.packBlobId, u);
    }
    u.contentCount++;
    u.totalSize += ci.packedLength;
  }
  return out;
}

/** The short packs to rewrite, holding back a prefix's first short pack until a second appears (kopia findContentInShortPacks). */
export function shortPacks(usage: Iterable<PackUsage>, threshold: number): Set<string> {
  const out = new Set<string>();
  const countByPrefix = new Map<string, number>();
  const firstByPrefix = new Map<string, string>();
  const sorted = [...usage].sort((a, b) => (a.packBlobId < b.packBlobId ? -1 : a.packBlobId > b.packBlobId ? 1 : 0));
  for (const p of sorted) {
    if (p.totalSize >= threshold) continue;
    const prefix = p.packBlobId.slice(0, 1);
    const n = (countByPrefix.get(prefix) ?? 0) + 1;
    countByPrefix.set(prefix, n);
    if (n === 1) {
      firstByPrefix.set(prefix, p.packBlobId);
      continue;
    }
    if (n === 2) out.add(firstByPrefix.get(prefix)!);
    out.add(p.packBlobId);
  }
  return out;
}

/** kopia maintenancestats.RewriteContentsStats. */
export interface RewriteContentsStats {
  toRewriteContentCount: number;
  toRewriteContentSize: number;
  rewrittenContentCount: number;
  rewrittenContentSize: number;
  retainedContentCount: number;
  retainedContentSize: number;
}

export interface RewriteOptions {
  /** Only packs with this prefix ("q" for quick maintenance); default all. */
  readonly packPrefix?: string;
  readonly rewriteMinAgeMs: number;
  /** Storage time estimate the ages are measured against. */
  readonly now: Date;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal | undefined;
}

export async function rewriteShortPacks(repo: DirectRepository, options: RewriteOptions): Promise<RewriteContentsStats> {
  const threshold = Math.floor((repo.format.config.maxPackSize * SHORT_PACK_THRESHOLD_PERCENT) / 100);
  const packs = shortPacks(packUsage(repo.contents.iterateContents({ includeDeleted: true }), options.packPrefix).values(), threshold);
  const stats: RewriteContentsStats = {
    toRewriteContentCount: 0, toRewriteContentSize: 0, rewrittenContentCount: 0, rewrittenContentSize: 0, retainedContentCount: 0, retainedContentSize: 0,
  };
  if (packs.size === 0) return stats;
  const nowMs = options.now.getTime();
  // second pass: only the IDs to copy are kept (rewriting changes the index, so not while iterating it)
  const toRewrite: { readonly id: string; readonly size: number }[] = [];
  for (const c of repo.contents.iterateContents({ includeDeleted: true })) {
    if (c.deleted || !packs.has(c.packBlobId)) continue;
    if (nowMs - c.timestampSeconds * 1000 < options.rewriteMinAgeMs) {
      stats.retainedContentCount++;
      stats.retainedContentSize += c.packedLength;
      continue;
    }
    stats.toRewriteContentCount++;
    stats.toRewriteContentSize += c.packedLength;
    if (options.dryRun !== true) toRewrite.push({ id: c.contentId, size: c.packedLength });
  }
  for (const c of toRewrite) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    if (await repo.contents.rewriteContent(c.id)) {
      stats.rewrittenContentCount++;
      stats.rewrittenContentSize += c.size;
    }
  }
  if (options.dryRun !== true) await repo.contents.flush();
  return stats;
}
