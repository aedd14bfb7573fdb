// Merges a writer's uncommitted entries into the ordered iteration of the committed index (kopia
// content_manager_iterate.go snapshotUncommittedItems): for an ID present in both, the winner of
// kopia's merge rule is yielded.
import type { ContentInfo } from './content-info.ts';
import { infoWins } from './index-segment.ts';

export function* mergeWithOverlay(
  committed: Iterable<ContentInfo>,
  overlaySources: readonly Iterable<ContentInfo>[],
  prefix: string,
  visible: (info: ContentInfo) => boolean,
): Generator<ContentInfo> {
  const byId = new Map<string, ContentInfo>();
  for (const source of overlaySources) {
    for (const i of source) {
      if (!i.contentId.startsWith(prefix)) continue;
      const o = byId.get(i.contentId);
      if (o === undefined || infoWins(i, o)) byId.set(i.contentId, i);
    }
  }
  const overlay = [...byId.values()].sort((a, b) => (a.contentId < b.contentId ? -1 : 1));
  let k = 0;
  for (const c of committed) {
    while (k < overlay.length && overlay[k]!.contentId < c.contentId) {
      if (visible(overlay[k]!)) yield overlay[k]!;
      k++;
    }
    let winner = c;
    if (k < overlay.length && overlay[k]!.contentId === c.contentId) {
      if (infoWins(overlay[k]!, c)) winner = overlay[k]!;
      k++;
    }
    if (visible(winner)) yield winner;
  }
  for (; k < overlay.length; k++) if (visible(overlay[k]!)) yield overlay[k]!;
}
