// Verify's data check: downloads a set of contents with few large ranged GETs per pack (restore-plan.ts),
// decrypts and decompresses each one, and reports those that fail. Also the deterministic sampling that
// picks which contents a `readDataPercent` run reads.
import type { ContentInfo } from '../content/content-info.ts';
import { isCairnError } from '../errors.ts';
import type { RepositoryReader } from '../repo/repository.ts';
import { openPackedContent } from '../content/pack-reader.ts';
import { Semaphore } from '../util/semaphore.ts';
import { planPackReads } from '../restore/restore-plan.ts';

/**
 * True when `contentId` belongs to the `percent` share picked by `seed` (FNV-1a of seed + ID, so the
 * same seed always picks the same contents; 100 picks all, 0 none).
 */
export function isSampled(contentId: string, percent: number, seed: string): boolean {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  let h = 0x811c9dc5;
  const s = seed + '\0' + contentId;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 10_000 < Math.round(percent * 100);
}

export interface ContentReadResult {
  readonly contentsRead: number;
  readonly bytesRead: number;
  /** Content ID -> why it could not be read. */
  readonly failures: Map<string, string>;
}

export interface ContentReadOptions {
  readonly parallel: number;
  readonly onRead?: (contents: number, bytes: number) => void;
  readonly signal?: AbortSignal | undefined;
}

/** Reads and decodes every given content; failures are collected, not thrown. */
export async function readContents(
  repo: Pick<RepositoryReader, 'blobs' | 'encryptor'>,
  contents: Iterable<ContentInfo>,
  options: ContentReadOptions,
): Promise<ContentReadResult> {
  const failures = new Map<string, string>();
  let contentsRead = 0;
  let bytesRead = 0;
  const limiter = new Semaphore(options.parallel);
  const ranges = planPackReads(contents, { maxRangeBytes: 16 * 1024 * 1024, maxGapBytes: 256 * 1024 });
  await Promise.all(
    ranges.map((r) =>
      limiter.run(async () => {
        if (options.signal?.aborted === true) return;
        let buf: Buffer;
        try {
          buf = await repo.blobs.get(r.packBlobId, { offset: r.offset, length: r.length });
        } catch (e) {
          if (!isCairnError(e)) throw e;
          for (const c of r.contents) failures.set(c.contentId, `pack ${r.packBlobId} cannot be read: ${e.message}`);
          return;
        }
        bytesRead += buf.length;
        for (const c of r.contents) {
          const start = c.packOffset - r.offset;
          try {
            const plain = openPackedContent(buf.subarray(start, start + c.packedLength), c, repo.encryptor);
            if (plain.length !== c.originalLength) {
              failures.set(c.contentId, `content ${c.contentId} decoded to ${plain.length} bytes, the index says ${c.originalLength}`);
            }
          } catch (e) {
            if (!isCairnError(e)) throw e;
            failures.set(c.contentId, e.message);
          }
          contentsRead++;
        }
        options.onRead?.(contentsRead, bytesRead);
      }),
    ),
  );
  return { contentsRead, bytesRead, failures };
}
