// Policy layer: retention (which snapshots of one source to keep, and why), kopia policy manifests and ignore
// rules. Everything here is pure: no I/O, no clock (callers pass `now`), no process environment.
//
// Guarantees:
// - Without keep-within, evaluateRetention keeps exactly the snapshots kopia keeps (`kopia snapshot expire`)
//   with the same reason strings, given kopia's process time zone as `timeZone` and `calendar: 'kopia'`
//   (kopia/snapshot/policy/retention_policy.go `ComputeRetentionReasons`, policy/expire.go,
//   snapshot/manifest.go `SortByTime`). Its quirks are kept on purpose, so both tools agree:
//   * period ids share one "seen" set across kinds, so monthly "2024-01" and ISO-week "2024-01" collide
//     (the older snapshot loses that weekly slot), and so can latest index "2024" and year "2024";
//   * all counts unset or summing to zero means keep-latest = infinity (EffectiveKeepLatest);
//   * cutoffs count back from the newest *complete* snapshot, not from now: AddDate in the zone for years,
//     months, days and weeks, exact 3600 s steps for hours;
//   * incomplete (checkpoint) snapshots get no period reasons; the newest ones before the newest complete one
//     are kept as "incomplete" while younger than 4 h (measured from the newest snapshot) or among the first 3;
//   * pinned snapshots are kept whatever their reasons.
// - Cairn's addition, keep-within: every snapshot (complete or not) whose start time is less than that
//   duration before `now` is also kept, with reason `within-N` (N counts them newest first). It only adds
//   keeps, so Cairn never deletes what kopia would keep. A future start time counts as within.
// - Calendars: with `calendar: 'zoned'` (the default) hourly/daily/weekly/monthly/annual periods and cutoffs
//   are all read in `timeZone`. kopia itself formats the hour, day, month and year ids in UTC
//   (fs.UTCTimestamp.Format) while ISO weeks and cutoffs use its local zone; `calendar: 'kopia'` reproduces
//   that. The two agree when timeZone is UTC. A local hour bucket is the wall-clock hour as Go's t.In(loc)
//   reads it: the repeated fall-back hour is one bucket, a skipped hour has no instants.
import { ZoneCalendar } from './zone-calendar.ts';
import type { WallTime } from './zone-calendar.ts';
import { toEpochNanos } from './timestamp.ts';
import type { Instant } from './timestamp.ts';
import { UsageError } from '../errors.ts';
import { sortRetentionReasons } from './retention-reasons.ts';

/** Retention settings; `undefined` means "not set here" (inherited when merging policies, not applied when evaluating). */
export interface RetentionPolicy {
  readonly keepLatest?: number | undefined;
  readonly keepHourly?: number | undefined;
  readonly keepDaily?: number | undefined;
  readonly keepWeekly?: number | undefined;
  readonly keepMonthly?: number | undefined;
  readonly keepAnnual?: number | undefined;
  /** Cairn only: keep every snapshot younger than this many milliseconds (relative to `now`). */
  readonly keepWithinMs?: number | undefined;
  /** kopia's uploader setting (do not save a snapshot identical to the previous one); retention ignores it. */
  readonly ignoreIdenticalSnapshots?: boolean | undefined;
}

/** kopia's built-in defaults (policy_tree.go defaultRetentionPolicy). */
export const DEFAULT_RETENTION_POLICY: Readonly<Required<Omit<RetentionPolicy, 'keepWithinMs'>>> = {
  keepLatest: 10,
  keepHourly: 48,
  keepDaily: 7,
  keepWeekly: 4,
  keepMonthly: 24,
  keepAnnual: 3,
  ignoreIdenticalSnapshots: false,
};

export interface RetentionSnapshot {
  readonly id: string;
  /** Start time: RFC 3339 (nanoseconds kept), Date, or bigint Unix nanoseconds. */
  readonly startTime: Instant;
  /** Sub-millisecond nanoseconds when startTime is a Date. */
  readonly startTimeNanos?: number | undefined;
  /** End time, used only to order snapshots with equal start times (newer end first, as kopia). */
  readonly endTime?: Instant | undefined;
  /** True for checkpoint/canceled snapshots (kopia's non-empty `incomplete` field). */
  readonly incomplete?: boolean | undefined;
  /** kopia pins: a pinned snapshot is never expired. */
  readonly pins?: readonly string[] | undefined;
}

export interface EvaluateRetentionOptions {
  /** IANA zone name the calendar periods are read in, e.g. "UTC", "Europe/Berlin". */
  readonly timeZone: string;
  /** The evaluation instant; only keep-within uses it. */
  readonly now: Instant;
  /** 'zoned' (default): all periods in timeZone. 'kopia': kopia's mix of UTC ids and local weeks/cutoffs. */
  readonly calendar?: 'zoned' | 'kopia' | undefined;
}

export interface RetentionDecision {
  /** Kept snapshot ids, newest first, each with its reasons (kopia order, then "incomplete", "within-N", "pin:NAME"). */
  readonly keep: ReadonlyMap<string, readonly string[]>;
  /** Expired snapshot ids, newest first. */
  readonly delete: readonly string[];
  /** The source has snapshots and none would be kept. */
  readonly wouldDeleteAll: boolean;
  /** The source has complete snapshots and none of them would be kept (only checkpoints would survive). */
  readonly wouldDeleteAllComplete: boolean;
}

const HOUR_NS = 3_600_000_000_000n;
const MS_NS = 1_000_000n;
const INCOMPLETE_MAX_AGE_NS = 4n * HOUR_NS;
const INCOMPLETE_MIN_COUNT = 3;
const COUNT_FIELDS = ['keepLatest', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepAnnual'] as const;
// A cutoff more than this many years away leaves the range Intl/Date can represent; it is treated as "no
// cutoff" (no snapshot is that old; a negative count keeps nothing anyway).
const MAX_CUTOFF_YEARS = 10_000;

/** kopia's EffectiveKeepLatest: when the six counts (unset = 0) sum to zero, keep-latest is unlimited. */
export function effectiveKeepLatest(policy: RetentionPolicy): number | undefined {
  let sum = 0;
  for (const f of COUNT_FIELDS) sum += policy[f] ?? 0;
  return sum === 0 ? Number.MAX_SAFE_INTEGER : policy.keepLatest;
}

/** Throws UsageError unless every count is a safe integer and keepWithinMs a non-negative safe integer. */
export function validateRetentionPolicy(policy: RetentionPolicy): void {
  for (const f of COUNT_FIELDS) {
    const v = policy[f];
    if (v !== undefined && !Number.isSafeInteger(v)) {
      throw new UsageError(`retention ${f} = ${String(v)} is not a whole number`, { hint: `Set ${f} to a whole number.` });
    }
  }
  const w = policy.keepWithinMs;
  if (w !== undefined && (!Number.isSafeInteger(w) || w < 0)) {
    throw new UsageError(`retention keepWithinMs = ${String(w)} is not a non-negative whole number of milliseconds`, {
      hint: 'Give keep-within as a duration such as 7d or 36h.',
    });
  }
}

interface Entry {
  readonly id: string;
  readonly start: bigint;
  readonly end: bigint | undefined;
  readonly incomplete: boolean;
  readonly pins: readonly string[];
  readonly reasons: string[];
}

/**
 * Decides which snapshots of ONE source to keep (callers group by source first). Pure and deterministic;
 * snapshots with equal start and end times are ordered by id.
 */
export function evaluateRetention(
  snapshots: readonly RetentionSnapshot[],
  policy: RetentionPolicy,
  options: EvaluateRetentionOptions,
): RetentionDecision {
  validateRetentionPolicy(policy);
  const calendar = new ZoneCalendar(options.timeZone);
  const utc = options.calendar === 'kopia' ? new ZoneCalendar('UTC') : calendar;
  const now = toEpochNanos(options.now, 'evaluation time "now"');
  const sorted = toSortedEntries(snapshots);

  let maxStart: bigint | undefined;
  let maxComplete: bigint | undefined;
  for (const e of sorted) {
    if (maxStart === undefined || e.start > maxStart) maxStart = e.start;
    if (!e.incomplete && (maxComplete === undefined || e.start > maxComplete)) maxComplete = e.start;
  }

  if (maxComplete !== undefined) assignPeriodReasons(sorted, policy, maxComplete, calendar, utc);

  // Checkpoints newer than the newest complete snapshot: keep the young ones and at least the first few.
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (!e.incomplete) break;
    if (maxStart! - e.start < INCOMPLETE_MAX_AGE_NS || i < INCOMPLETE_MIN_COUNT) e.reasons.push('incomplete');
    else break;
  }

  if (policy.keepWithinMs !== undefined) {
    const within = BigInt(policy.keepWithinMs) * MS_NS;
    let n = 0;
    for (const e of sorted) if (now - e.start < within) e.reasons.push(`within-${++n}`);
  }

  const keep = new Map<string, readonly string[]>();
  const expired: string[] = [];
  let keptComplete = false;
  let anyComplete = false;
  for (const e of sorted) {
    for (const pin of e.pins) e.reasons.push(`pin:${pin}`);
    if (!e.incomplete) anyComplete = true;
    if (e.reasons.length > 0) {
      keep.set(e.id, e.reasons);
      if (!e.incomplete) keptComplete = true;
    } else {
      expired.push(e.id);
    }
  }
  return {
    keep,
    delete: expired,
    wouldDeleteAll: sorted.length > 0 && keep.size === 0,
    wouldDeleteAllComplete: anyComplete && !keptComplete,
  };
}

function toSortedEntries(snapshots: readonly RetentionSnapshot[]): Entry[] {
  const seen = new Set<string>();
  const entries: Entry[] = snapshots.map((s) => {
    if (seen.has(s.id)) {
      throw new UsageError(`snapshot id ${s.id} appears twice in the retention input`, {
        hint: 'Pass each snapshot manifest once.',
      });
    }
    seen.add(s.id);
    return {
      id: s.id,
      start: toEpochNanos(s.startTime, `start time of snapshot ${s.id}`, s.startTimeNanos),
      end: s.endTime === undefined ? undefined : toEpochNanos(s.endTime, `end time of snapshot ${s.id}`),
      incomplete: s.incomplete === true,
      pins: s.pins ?? [],
      reasons: [],
    };
  });
  return entries.sort(newestFirst);
}

function newestFirst(a: Entry, b: Entry): number {
  if (a.start !== b.start) return a.start > b.start ? -1 : 1;
  const ae = a.end ?? a.start;
  const be = b.end ?? b.start;
  if (ae !== be) return ae > be ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

type PeriodKind = 'latest' | 'annual' | 'monthly' | 'weekly' | 'daily' | 'hourly';

function assignPeriodReasons(
  sorted: readonly Entry[],
  policy: RetentionPolicy,
  maxComplete: bigint,
  calendar: ZoneCalendar,
  labels: ZoneCalendar,
): void {
  const calendarCutoff = (n: number | undefined, years: number, months: number, days: number): bigint | undefined => {
    if (n === undefined || Math.abs(n) * (years + months / 12 + days / 365) > MAX_CUTOFF_YEARS) return undefined;
    return calendar.addDate(maxComplete, -n * years, -n * months, -n * days);
  };
  const hourly = policy.keepHourly;
  const cutoffs: Readonly<Record<PeriodKind, bigint | undefined>> = {
    latest: undefined,
    annual: calendarCutoff(policy.keepAnnual, 1, 0, 0),
    monthly: calendarCutoff(policy.keepMonthly, 0, 1, 0),
    weekly: calendarCutoff(policy.keepWeekly, 0, 0, 7),
    daily: calendarCutoff(policy.keepDaily, 0, 0, 1),
    hourly: hourly === undefined ? undefined : maxComplete - BigInt(hourly) * HOUR_NS,
  };
  const limits: Readonly<Record<PeriodKind, number | undefined>> = {
    latest: effectiveKeepLatest(policy),
    annual: policy.keepAnnual,
    monthly: policy.keepMonthly,
    weekly: policy.keepWeekly,
    daily: policy.keepDaily,
    hourly: policy.keepHourly,
  };
  const order: readonly PeriodKind[] = ['latest', 'annual', 'monthly', 'weekly', 'daily', 'hourly'];
  const claimed = new Set<string>(); // one set for all kinds, as kopia (see the header comment)
  const counters = new Map<PeriodKind, number>();

  sorted.forEach((e, index) => {
    if (e.incomplete) return;
    const ids = periodIds(e.start, index, calendar, labels);
    const found: string[] = [];
    for (const kind of order) {
      const limit = limits[kind];
      if (limit === undefined) continue;
      const cutoff = cutoffs[kind];
      if (cutoff !== undefined && e.start < cutoff) continue;
      const id = ids[kind];
      if (claimed.has(id)) continue;
      const count = counters.get(kind) ?? 0;
      if (count < limit) {
        claimed.add(id);
        counters.set(kind, count + 1);
        found.push(`${kind}-${count + 1}`);
      }
    }
    e.reasons.push(...sortRetentionReasons(found));
  });
}

function periodIds(start: bigint, index: number, calendar: ZoneCalendar, labels: ZoneCalendar): Record<PeriodKind, string> {
  const w: WallTime = labels.wallTime(start);
  const week = calendar.isoWeek(start);
  const yyyy = pad(w.year, 4);
  const day = `${yyyy}-${pad(w.month, 2)}-${pad(w.day, 2)}`;
  return {
    latest: String(index),
    annual: yyyy,
    monthly: `${yyyy}-${pad(w.month, 2)}`,
    weekly: `${pad(week.year, 4)}-${pad(week.week, 2)}`,
    daily: day,
    hourly: `${day} ${pad(w.hour, 2)}`,
  };
}

function pad(n: number, width: number): string {
  return n < 0 ? '-' + String(-n).padStart(width, '0') : String(n).padStart(width, '0');
}
