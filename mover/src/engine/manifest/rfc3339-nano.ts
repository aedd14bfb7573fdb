// Go time.Time <-> JSON: RFC 3339 with up to nanosecond precision (time.RFC3339Nano, trailing zeros
// trimmed). JS Date keeps milliseconds only, so instants are BigInt nanoseconds since the Unix epoch.
// Used by manifests (`modified`) and by the snapshot layer (start/end times, mtimes).
import { hrtime } from 'node:process';
import { CorruptionError } from '../errors.ts';
import { civilFromDays, daysFromCivil } from '../util/civil-date.ts';

const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;
const SECONDS_PER_DAY = 86_400n;

export const EPOCH_RFC3339 = '1970-01-01T00:00:00Z';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** 10000-01-01T00:00:00Z in ns: below it (and from the epoch on) Date formats the date part. */
const FAST_LIMIT = 253_402_300_800n * NS_PER_SECOND;
/** The last second formatted and its `YYYY-MM-DDTHH:MM:SS`: files written together share their second. */
let lastSecond = -1n;
let lastPrefix = '';

/** Nanoseconds since the epoch -> `2025-03-11T10:07:36.123456789Z` (UTC, fraction trimmed as Go does). */
export function formatRfc3339Nano(ns: bigint): string {
  if (ns >= 0n && ns < FAST_LIMIT) {
    // every file's mtime goes through here (an unchanged backup compares each one with its previous
    // listing): Date's formatter for the second, cached, and the fraction's digits trimmed by hand
    const second = ns / NS_PER_SECOND;
    if (second !== lastSecond) {
      lastPrefix = new Date(Number(second) * 1000).toISOString().slice(0, 19);
      lastSecond = second;
    }
    const frac = Number(ns - second * NS_PER_SECOND);
    if (frac === 0) return `${lastPrefix}Z`;
    const digits = String(frac).padStart(9, '0');
    let end = 9;
    while (digits.charCodeAt(end - 1) === 48 /* '0' */) end--;
    return `${lastPrefix}.${digits.slice(0, end)}Z`;
  }
  let secs = ns / NS_PER_SECOND;
  let frac = ns % NS_PER_SECOND;
  if (frac < 0n) {
    frac += NS_PER_SECOND;
    secs -= 1n;
  }
  let days = secs / SECONDS_PER_DAY;
  let sod = secs % SECONDS_PER_DAY;
  if (sod < 0n) {
    sod += SECONDS_PER_DAY;
    days -= 1n;
  }
  const { year: y, month: mo, day: d } = civilFromDays(Number(days));
  if (y < 0 || y > 9999) throw new RangeError(`time ${ns}ns has year ${y} outside [0,9999] (Go's MarshalJSON limit)`);
  const s = Number(sod);
  let out = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}`;
  if (frac !== 0n) out += '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return out + 'Z';
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses RFC 3339 with up to 9 fractional digits and any offset; undefined when malformed. */
export function tryParseRfc3339Nano(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const days = daysFromCivil(y, mo, d);
  if (civilFromDays(days).day !== d) return undefined; // e.g. Feb 30
  let secs = BigInt(days) * SECONDS_PER_DAY + BigInt(h * 3600 + mi * 60 + s);
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    const off = oh * 3600 + om * 60;
    secs -= BigInt(m[9] === '-' ? -off : off);
  }
  const frac = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0'));
  return secs * NS_PER_SECOND + frac;
}

/** Parses RFC 3339; throws CorruptionError naming `what` (e.g. "manifest 3f… modified") when malformed. */
export function parseRfc3339Nano(text: string, what: string): bigint {
  const v = tryParseRfc3339Nano(text);
  if (v === undefined) {
    throw new CorruptionError(`${what}: invalid timestamp ${JSON.stringify(text)}`, {
      hint: 'the metadata is damaged; `cairn repository check` lists what is affected',
    });
  }
  return v;
}

/** Orders two RFC 3339 texts by the instant they denote (any offsets, ns precision): -1, 0 or 1. */
export function compareRfc3339Nano(a: string, b: string): number {
  const x = parseRfc3339Nano(a, 'timestamp');
  const y = parseRfc3339Nano(b, 'timestamp');
  return x < y ? -1 : x > y ? 1 : 0;
}

// Kopia's own form: UTC, 'Z', fraction without trailing zeros (1-9 digits, the last not 0):
// YYYY-MM-DDTHH:MM:SS[.f]Z. Listings hold one per entry and nearly all are already canonical, so
// canonicalRfc3339 checks the form (and the calendar) instead of re-formatting.
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The value of the two digits at `at` (the caller has checked that they are digits). */
function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 0x30) * 10 + text.charCodeAt(at + 1) - 0x30;
}

// The form is checked by one regular expression test (no match array or substrings: an exec with six
// captures per entry was ~2% of an unchanged backup's main thread) and the calendar by fixed-offset
// arithmetic. Reading the form character by character in JavaScript was as fast once optimized, but a run
// decodes each listing once, mostly before that: 20,000 checks in a fresh process took 14-25 ms that way
// against 6-10 ms now.
const CANONICAL_FORM = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{0,8}[1-9])?Z$/;

function isCanonical(text: string): boolean {
  if (!CANONICAL_FORM.test(text)) return false;
  const y = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const mo = twoDigits(text, 5);
  const d = twoDigits(text, 8);
  if (mo < 1 || mo > 12 || d < 1 || twoDigits(text, 11) > 23 || twoDigits(text, 14) > 59 || twoDigits(text, 17) > 59) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!);
}

/** Re-formats any RFC 3339 text into the canonical UTC form kopia writes. */
export function canonicalRfc3339(text: string, what: string): string {
  return isCanonical(text) ? text : formatRfc3339Nano(parseRfc3339Nano(text, what));
}

/** A JS Date (millisecond precision) as nanoseconds since the epoch. */
export function nanosFromDate(date: Date): bigint {
  return BigInt(date.getTime()) * NS_PER_MS;
}

/** Nanoseconds since the epoch as a JS Date (truncated to milliseconds, rounding toward -infinity). */
export function dateFromNanos(ns: bigint): Date {
  const ms = ns / NS_PER_MS - (ns % NS_PER_MS < 0n ? 1n : 0n);
  return new Date(Number(ms));
}

let anchorWall = BigInt(Date.now()) * NS_PER_MS;
let anchorHr = hrtime.bigint();
let lastNow = 0n;
const RESYNC_NS = 5n * NS_PER_MS;

/**
 * The wall clock in nanoseconds: Date.now() refined with the monotonic high-resolution timer, re-anchored
 * when the two drift apart by more than 5 ms (clock steps), and strictly increasing within the process.
 */
export function nowNanos(): bigint {
  const hr = hrtime.bigint();
  let t = anchorWall + (hr - anchorHr);
  const wall = BigInt(Date.now()) * NS_PER_MS;
  const drift = t - wall;
  if (drift > RESYNC_NS || drift < -RESYNC_NS) {
    anchorWall = wall;
    anchorHr = hr;
    t = wall;
  }
  if (t <= lastNow) t = lastNow + 1n;
  lastNow = t;
  return t;
}
