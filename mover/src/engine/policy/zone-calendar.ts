// Calendar arithmetic in an IANA time zone, reproducing Go's `time` package (what kopia's retention code runs
// on): an instant has exactly one wall-clock reading in a zone (`t.In(loc)` formatting: in an ambiguous
// fall-back hour both instants read as that hour, and a skipped spring-forward hour never appears), and
// `AddDate` re-resolves a wall-clock reading with Go's `time.Date` rule. Offsets come from Intl (ICU tzdata),
// cached per zone. Instants are bigint nanoseconds since the Unix epoch so RFC 3339 nanoseconds survive.
import { civilFromDays, daysFromCivil } from '../util/civil-date.ts';
import { UsageError } from '../errors.ts';

export interface WallTime {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number; // 1-31
  readonly hour: number; // 0-23
  readonly minute: number;
  readonly second: number;
}

export interface IsoWeek {
  readonly year: number;
  readonly week: number; // 1-53
}

const NS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400;

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** ISO 8601 week of a calendar date (Go's Time.ISOWeek): the week containing the date's Thursday. */
export function isoWeekOfDate(year: number, month: number, day: number): IsoWeek {
  const days = daysFromCivil(year, month, day);
  const weekday = (((days + 3) % 7) + 7) % 7; // 0 = Monday (1970-01-01 was a Thursday)
  const thursday = days - weekday + 3;
  const t = civilFromDays(thursday);
  const dayOfYear = thursday - daysFromCivil(t.year, 1, 1);
  return { year: t.year, week: Math.floor(dayOfYear / 7) + 1 };
}

export class ZoneCalendar {
  readonly timeZone: string;
  readonly #format: Intl.DateTimeFormat | undefined; // undefined for UTC: no lookups needed
  readonly #offsetCache = new Map<number, number>();

  constructor(timeZone: string) {
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (e) {
      throw new UsageError(`time zone "${timeZone}" is not a known IANA time zone`, {
        cause: e,
        hint: 'Use a name from the IANA time zone database such as "UTC" or "Europe/Berlin".',
      });
    }
    this.timeZone = format.resolvedOptions().timeZone;
    this.#format = this.timeZone === 'UTC' || this.timeZone === 'Etc/UTC' ? undefined : format;
  }

  /** Seconds east of UTC in effect at the given Unix second. */
  offsetAt(unixSeconds: number): number {
    if (this.#format === undefined) return 0;
    const cached = this.#offsetCache.get(unixSeconds);
    if (cached !== undefined) return cached;
    const w = this.#readParts(unixSeconds);
    const wallSeconds = daysFromCivil(w.year, w.month, w.day) * SECONDS_PER_DAY + w.hour * 3600 + w.minute * 60 + w.second;
    const offset = wallSeconds - unixSeconds;
    if (this.#offsetCache.size > 100_000) this.#offsetCache.clear();
    this.#offsetCache.set(unixSeconds, offset);
    return offset;
  }

  /** The wall-clock reading of an instant in this zone (Go: `t.In(loc)`). */
  wallTime(ns: bigint): WallTime {
    const unixSeconds = Number(floorDiv(ns, NS_PER_SECOND));
    return wallFromSeconds(unixSeconds + this.offsetAt(unixSeconds));
  }

  /** ISO week of the instant's local date. */
  isoWeek(ns: bigint): IsoWeek {
    const w = this.wallTime(ns);
    return isoWeekOfDate(w.year, w.month, w.day);
  }

  /**
   * Go's `t.In(loc).AddDate(years, months, days)`: add to the wall-clock fields, normalize overflow (March 31
   * minus one month is March 2 or 3), and map the wall-clock reading back to an instant with time.Date's rule
   * (for a reading that is ambiguous or skipped, the offset found at the reading taken as UTC, corrected once).
   */
  addDate(ns: bigint, years: number, months: number, days: number): bigint {
    const unixSeconds = floorDiv(ns, NS_PER_SECOND);
    const nanos = ns - unixSeconds * NS_PER_SECOND;
    const w = this.wallTime(ns);
    const wall =
      daysFromCivil(w.year + years, w.month + months, w.day + days) * SECONDS_PER_DAY + w.hour * 3600 + w.minute * 60 + w.second;
    return BigInt(this.resolveWall(wall)) * NS_PER_SECOND + nanos;
  }

  /** The Unix second Go's time.Date picks for a wall-clock reading given as seconds since 1970-01-01 00:00. */
  resolveWall(wallSeconds: number): number {
    const first = this.offsetAt(wallSeconds);
    if (first === 0) return wallSeconds;
    const guess = wallSeconds - first;
    // Go keeps `first` when `guess` lies in the same zone period; otherwise it takes the offset at `guess`.
    // Either way the result is wall - offsetAt(guess) (a neighbouring period with the same offset is equivalent).
    return wallSeconds - this.offsetAt(guess);
  }

  #readParts(unixSeconds: number): WallTime {
    const parts = this.#format!.formatToParts(new Date(unixSeconds * 1000));
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const p of parts) {
      switch (p.type) {
        case 'year': year = Number(p.value); break;
        case 'month': month = Number(p.value); break;
        case 'day': day = Number(p.value); break;
        case 'hour': hour = Number(p.value); break;
        case 'minute': minute = Number(p.value); break;
        case 'second': second = Number(p.value); break;
        case 'era': bc = p.value.startsWith('B'); break;
        default: break;
      }
    }
    return { year: bc ? 1 - year : year, month, day, hour, minute, second };
  }
}

function wallFromSeconds(wallSeconds: number): WallTime {
  const days = Math.floor(wallSeconds / SECONDS_PER_DAY);
  const rem = wallSeconds - days * SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  return { year, month, day, hour: Math.floor(rem / 3600), minute: Math.floor((rem % 3600) / 60), second: rem % 60 };
}
