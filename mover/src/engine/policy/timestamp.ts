// Instants as bigint nanoseconds since the Unix epoch, parsed from and formatted to RFC 3339 with up to nine
// fractional digits, the form kopia stores in snapshot manifests (Go's time.RFC3339Nano, always UTC on write).
import { daysFromCivil, civilFromDays, floorDiv } from './zone-calendar.ts';
import { UsageError } from './policy-errors.ts';

/** An instant: an RFC 3339 string (nanoseconds kept), a Date (milliseconds), or bigint Unix nanoseconds. */
export type Instant = string | Date | bigint;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;

/**
 * Unix nanoseconds of an instant. `extraNanos` (0..999999) adds the sub-millisecond part a Date cannot hold.
 * `what` names the value in the error message ("start time of snapshot 1234...").
 */
export function toEpochNanos(value: Instant, what: string, extraNanos = 0): bigint {
  if (typeof value === 'bigint') return value;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new UsageError(`${what} is an invalid Date`, { hint: 'Pass a valid Date or RFC 3339 string.' });
    if (!Number.isInteger(extraNanos) || extraNanos < 0 || extraNanos >= 1_000_000) {
      throw new UsageError(`${what}: extra nanoseconds ${extraNanos} are outside 0..999999`, {
        hint: 'Give only the sub-millisecond part of the instant as extra nanoseconds.',
      });
    }
    return BigInt(ms) * NS_PER_MS + BigInt(extraNanos);
  }
  return parseRfc3339Nanos(value, what);
}

/** Parses an RFC 3339 timestamp (with `Z` or a numeric offset, up to nine fractional digits) to Unix nanoseconds. */
export function parseRfc3339Nanos(text: string, what: string): bigint {
  const m = RFC3339.exec(text);
  if (m === null) {
    throw new UsageError(`${what} "${text}" is not an RFC 3339 timestamp`, {
      hint: 'Timestamps look like 2024-05-01T12:00:00.123456789Z.',
    });
  }
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour! > 23 || minute! > 59 || second! > 60) {
    throw new UsageError(`${what} "${text}" has an out-of-range field`, { hint: 'Check the date and time fields.' });
  }
  let seconds = daysFromCivil(year!, month!, day!) * 86_400 + hour! * 3600 + minute! * 60 + second!;
  if (m[8] === undefined) {
    const sign = m[9] === '-' ? -1 : 1;
    seconds -= sign * (Number(m[10]) * 3600 + Number(m[11]) * 60);
  }
  const fraction = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0'));
  return BigInt(seconds) * NS_PER_SECOND + fraction;
}

/** RFC 3339 in UTC with trailing fractional zeros trimmed, as Go's time.RFC3339Nano formats it. */
export function formatRfc3339Nanos(ns: bigint): string {
  const seconds = floorDiv(ns, NS_PER_SECOND);
  const fraction = ns - seconds * NS_PER_SECOND;
  const s = Number(seconds);
  const days = Math.floor(s / 86_400);
  const rem = s - days * 86_400;
  const { year, month, day } = civilFromDays(days);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  let text = `${String(year).padStart(4, '0')}-${p2(month)}-${p2(day)}T${p2(Math.floor(rem / 3600))}:${p2(Math.floor((rem % 3600) / 60))}:${p2(rem % 60)}`;
  if (fraction !== 0n) text += '.' + String(fraction).padStart(9, '0').replace(/0+$/, '');
  return text + 'Z';
}
