// Whether a directory's new listing would be byte-identical to the previous snapshot's, decided without
// encoding it: same entries (names, types, modes, sizes, times, owners, objects, child summaries) and the
// same summary. Listings that record errors are never reused (their messages may differ run to run).
import type { DirEntry, DirectorySummary } from '../snapshot/dir-entry.ts';

function sameSummary(a: DirectorySummary | undefined, b: DirectorySummary | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.size === b.size && a.files === b.files && a.symlinks === b.symlinks && a.dirs === b.dirs &&
    a.maxTime === b.maxTime && (a.incomplete ?? '') === (b.incomplete ?? '') && a.numFailed === b.numFailed &&
    (a.numIgnoredErrors ?? 0) === (b.numIgnoredErrors ?? 0) && (a.errors?.length ?? 0) === 0 && (b.errors?.length ?? 0) === 0;
}

function sameEntry(a: DirEntry, b: DirEntry | undefined): boolean {
  return b !== undefined && a.name === b.name && a.type === b.type && a.mode === b.mode && a.size === b.size &&
    a.mtime === b.mtime && a.uid === b.uid && a.gid === b.gid && a.obj === b.obj && sameSummary(a.summ, b.summ);
}

/** True when a new listing would be identical to the previous snapshot's listing of the directory. */
export function unchangedListing(entries: readonly DirEntry[], summary: DirectorySummary, previous: ReadonlyMap<string, DirEntry>,
  previousSummary: DirectorySummary | undefined): boolean {
  return entries.length === previous.size && sameSummary(summary, previousSummary) &&
    entries.every((e) => sameEntry(e, previous.get(e.name)));
}
