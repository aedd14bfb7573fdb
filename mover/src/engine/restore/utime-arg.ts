// Setting a restored entry's mtime through Node's fs API, as exactly as that API allows.
//
// Listings store mtimes with nanoseconds (RFC 3339, kopia's fs.UTCTimestamp) and Cairn's backups record
// them exactly. On restore the sub-microsecond part is lost: Node's utimes/futimes/lutimes take seconds
// as a double, and libuv (uv__fs_to_timespec) truncates them toward zero to whole microseconds before
// calling utimensat — there is no other time-setting call in Node's API. Kopia (Go) restores nanoseconds.
//
// Two more traps, both handled here:
// - Node replaces a NEGATIVE number (any time before 1970) by the current time (fs toUnixTimestamp),
//   silently; a numeric string is passed through unchanged, so the argument is always a string;
// - truncation toward zero rounds a negative time up, a positive one down, and a double can't hold most
//   microsecond values exactly: the value is aimed half a microsecond past the stored microsecond on the
//   side truncation removes, so it lands exactly on it. That holds while half a unit in the last place of
//   the double stays under 0.5 µs: |t| < 2^32 s, i.e. the years 1833 to 2106; beyond, within 2 µs.
import { mtimeToNs } from '../snapshot/dir-entry.ts';

const NS = 1_000_000_000n;

/** The time argument for fs.utimes/futimes/lutimes that sets the stored mtime to the microsecond. */
export function utimeArg(mtime: string): string {
  const ns = mtimeToNs(mtime);
  let sec = ns / NS;
  let frac = ns % NS;
  if (frac < 0n) {
    frac += NS;
    sec -= 1n;
  }
  const micros = Number(frac / 1000n);
  return String(Number(sec) + (ns >= 0n ? micros + 0.5 : micros - 0.5) / 1e6);
}
