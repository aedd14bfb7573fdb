// Wall-clock <-> instant conversion for IANA time zones using Intl only (no tz database of our own).
// A wall time inside a DST gap maps to the instant the gap's length later; a repeated wall time (DST
// fall-back) maps to both instants, earliest first.

export interface WallTime {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

export class UnknownTimeZoneError extends Error {
  constructor(zone: string) {
    super(`unknown time zone "${zone}" (use an IANA name such as Europe/Berlin or UTC)`);
    this.name = 'UnknownTimeZoneError';
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new UnknownTimeZoneError(zone);
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Throws UnknownTimeZoneError when `zone` is not a time zone this runtime knows. */
export function checkTimeZone(zone: string): void {
  formatter(zone);
}

/** The wall time (to the minute) at `instantMs` in `zone`. */
export function wallTimeAt(instantMs: number, zone: string): WallTime {
  const parts = formatter(zone).formatToParts(new Date(instantMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? '0');
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/** Offset of `zone` from UTC at `instantMs`, in milliseconds (east positive). */
export function zoneOffsetMs(instantMs: number, zone: string): number {
  const w = wallTimeAt(instantMs, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const truncated = instantMs - (((instantMs % 60_000) + 60_000) % 60_000);
  return asUtc - truncated;
}

export function wallToNaiveMs(w: WallTime): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
}

/** Instants at which `zone` shows wall time `w` (0 entries never: a gap is shifted forward). */
export function instantsForWallTime(w: WallTime, zone: string): number[] {
  const naive = wallToNaiveMs(w);
  const offsets = new Set([zoneOffsetMs(naive - 86_400_000, zone), zoneOffsetMs(naive, zone), zoneOffsetMs(naive + 86_400_000, zone)]);
  const found = new Set<number>();
  for (const off of offsets) {
    const t = naive - off;
    if (zoneOffsetMs(t, zone) === off) found.add(t);
  }
  if (found.size > 0) return [...found].sort((a, b) => a - b);
  // In a gap: use the offset from before the transition, which lands the gap's length later.
  return [naive - zoneOffsetMs(naive - 86_400_000, zone)];
}
