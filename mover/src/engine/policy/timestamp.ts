// Instants for the policy layer as bigint nanoseconds since the Unix epoch, so the RFC 3339 nanoseconds kopia
// stores in snapshot manifests survive (parsing is the snapshot layer's, kopia's RFC3339Nano).
import { tryParseRfc3339Nano } from '../snapshot/snapshot-json.ts';
import { UsageError } from '../errors.ts';

/** An instant: an RFC 3339 string (nanoseconds kept), a Date (milliseconds), or bigint Unix nanoseconds. */
export type Instant = string | Date | bigint;

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
  const ns = tryParseRfc3339Nano(value);
  if (ns === undefined) {
    throw new UsageError(`${what} ${JSON.stringify(value)} is not an RFC 3339 timestamp`, {
      hint: 'Timestamps look like 2024-05-01T12:00:00.123456789Z.',
    });
  }
  return ns;
}
