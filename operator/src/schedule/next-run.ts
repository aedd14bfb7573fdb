// Next due time of a cron schedule in a time zone, and the deterministic jitter added to it.
import type { CronSchedule } from './cron-schedule.ts';
import { fnvHash } from './fnv-hash.ts';
import { instantsForWallTime, wallTimeAt } from './time-zone.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Search horizon: a schedule that matches nothing for this long (e.g. "0 0 31 2 *") never fires. */
const HORIZON_DAYS = 366 * 5;

/**
 * The first due time strictly after `afterMs` (minute precision), or undefined when there is none within five
 * years. Wall times are walked in the schedule's zone; each maps to its instant (a DST gap shifts forward, a
 * repeated hour fires once, at its first occurrence).
 */
export function nextDueTime(schedule: CronSchedule, afterMs: number, zone: string): number | undefined {
  const start = wallTimeAt(afterMs, zone);
  // Walk naive wall-clock minutes (Date.UTC arithmetic has no DST) starting at the minute after `start`.
  let t = Date.UTC(start.year, start.month - 1, start.day, start.hour, start.minute) + MINUTE;
  const end = t + HORIZON_DAYS * DAY;
  const f = schedule.fields;
  while (t < end) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    if (!f.months[month]) {
      t = Date.UTC(year, month, 1); // first day of next month
      continue;
    }
    if (!schedule.matchesDay(year, month, day)) {
      t = Date.UTC(year, month - 1, day + 1);
      continue;
    }
    const hour = d.getUTCHours();
    if (!f.hours[hour]) {
      t = Date.UTC(year, month - 1, day, hour + 1);
      continue;
    }
    const minute = d.getUTCMinutes();
    if (!f.minutes[minute]) {
      t += MINUTE;
      continue;
    }
    for (const instant of instantsForWallTime({ year, month, day, hour, minute }, zone)) {
      if (instant > afterMs) return instant;
    }
    t += MINUTE;
  }
  return undefined;
}

/** Parse a jitter like "5m", "1h30m", "45s" into milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (m === null || text === '') throw new Error(`cannot read duration "${text}" (use e.g. 90s, 5m, 1h30m)`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** Stable per-resource delay in [0, maxMs], whole seconds, derived from the hash key (the UID). */
export function jitterMs(hashKey: string, maxMs: number): number {
  if (maxMs <= 0) return 0;
  const seconds = Math.floor(maxMs / 1000);
  return (fnvHash(`${hashKey}/jitter`) % (seconds + 1)) * 1000;
}
