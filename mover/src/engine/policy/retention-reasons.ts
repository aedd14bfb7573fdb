// Retention reason strings as kopia orders and abbreviates them for display (retention_policy.go
// SortRetentionTags, CompactRetentionReasons).

const REASON_ORDER: Readonly<Record<string, number>> = { latest: 1, hourly: 2, daily: 3, weekly: 4, monthly: 5, annual: 6 };

function splitReason(reason: string): [string, string] {
  const dash = reason.lastIndexOf('-');
  return dash < 0 ? [reason, ''] : [reason.slice(0, dash), reason.slice(dash + 1)];
}

/** kopia's SortRetentionTags: latest, hourly, daily, weekly, monthly, annual; unknown prefixes first by name. */
export function sortRetentionReasons(reasons: readonly string[]): string[] {
  return [...reasons].sort((a, b) => {
    const [pa, sa] = splitReason(a);
    const [pb, sb] = splitReason(b);
    const oa = REASON_ORDER[pa] ?? 0;
    const ob = REASON_ORDER[pb] ?? 0;
    if (oa !== ob) return oa - ob;
    if (pa !== pb) return pa < pb ? -1 : 1;
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

/** kopia's CompactRetentionReasons for display: "latest-1", "latest-2", "latest-3" -> "latest-1..3". */
export function compactRetentionReasons(reasons: readonly string[]): string[] {
  const byPrefix = new Map<string, number[]>();
  const out: string[] = [];
  for (const r of reasons) {
    const [prefix, suffix] = splitReason(r);
    if (!/^[+-]?\d+$/.test(suffix)) {
      out.push(r);
      continue;
    }
    const list = byPrefix.get(prefix) ?? [];
    list.push(Number(suffix));
    byPrefix.set(prefix, list);
  }
  for (const [prefix, numbers] of byPrefix) {
    numbers.sort((a, b) => a - b);
    let runStart = numbers[0]!;
    let runEnd = runStart;
    const flush = (): void => {
      out.push(runStart === runEnd ? `${prefix}-${runStart}` : `${prefix}-${runStart}..${runEnd}`);
    };
    for (const n of numbers.slice(1)) {
      if (n === runEnd + 1) runEnd = n;
      else {
        flush();
        runStart = n;
        runEnd = n;
      }
    }
    flush();
  }
  return sortRetentionReasons(out);
}
