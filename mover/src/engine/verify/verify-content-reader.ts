// Verify's data check: reads a set of contents through the content layer's pack reader (few large ranged
// GETs per pack, each content authenticated, decrypted, decompressed and length-checked) and reports those
// that fail. Also the deterministic sampling that picks which contents a `readDataPercent` run reads.
import type { ContentInfo } from '../content/content-info.ts';
import type { RepositoryReader } from '../repo/repository.ts';

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

/** Verify reads bigger ranges than restore: it keeps nothing, so gaps cost only bandwidth. */
const RANGE_PLAN = { maxRangeBytes: 16 * 1024 * 1024, maxGapBytes: 256 * 1024 };

/** Reads and decodes every given content; failures are collected, not thrown. */
export async function readContents(
  repo: Pick<RepositoryReader, 'contents'>,
  contents: Iterable<ContentInfo>,
  options: ContentReadOptions,
): Promise<ContentReadResult> {
  const failures = new Map<string, string>();
  let contentsRead = 0;
  let bytesRead = 0;
  await repo.contents.packReader().read(contents, { ...RANGE_PLAN, parallel: options.parallel, signal: options.signal }, (r) => {
    for (const c of r.contents) if (c.error !== undefined) failures.set(c.info.contentId, c.error.message);
    // A range whose GET failed read nothing; its contents only count as failures.
    if (r.bytesRead > 0) {
      bytesRead += r.bytesRead;
      contentsRead += r.contents.length;
    }
    options.onRead?.(contentsRead, bytesRead);
  });
  return { contentsRead, bytesRead, failures };
}
