// Go-compatible JSON text helpers used by the snapshot codecs (kopia writes its listings and manifests
// with Go's encoding/json). Kept private to this layer until manifest/go-json.ts and
// manifest/rfc3339-nano.ts land; the behaviour is the one documented in kopia-format.md (preamble).
import { CorruptionError } from '../errors.ts';

const HTML_UNSAFE = /[<>&\u2028\u2029]/;
const HTML_UNSAFE_G = /[<>&\u2028\u2029]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * A JSON string literal exactly as Go's json.Encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped,
 * invalid UTF-16 (lone surrogates, i.e. invalid UTF-8 in Go) replaced by U+FFFD, `\b` `\f` `\n` `\r` `\t`
 * short forms, other control characters as lowercase `\u00xx`, everything else literal.
 */
export function goJsonString(s: string): string {
  const lit = JSON.stringify(s.isWellFormed() ? s : s.toWellFormed());
  return HTML_UNSAFE.test(lit) ? lit.replace(HTML_UNSAFE_G, (c) => ESCAPES[c]!) : lit;
}

const NS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400n;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Nanoseconds since the Unix epoch -> Go's RFC3339Nano in UTC (`2025-03-11T10:07:36.123456789Z`, zeros trimmed). */
export function formatRfc3339Nano(ns: bigint): string {
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
  const [y, mo, d] = civilFromDays(Number(days));
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
  if (civilFromDays(days)[2] !== d) return undefined; // e.g. Feb 30
  let secs = BigInt(days) * SECONDS_PER_DAY + BigInt(h * 3600 + mi * 60 + s);
  if (m[8] === undefined) {
    const off = Number(m[10]) * 3600 + Number(m[11]) * 60;
    secs -= BigInt(m[9] === '-' ? -off : off);
  }
  const frac = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0'));
  return secs * NS_PER_SECOND + frac;
}

/** Parses RFC 3339; throws CorruptionError naming `what` when malformed. */
export function parseRfc3339Nano(text: string, what: string): bigint {
  const v = tryParseRfc3339Nano(text);
  if (v === undefined) {
    throw new CorruptionError(`${what}: invalid timestamp ${JSON.stringify(text)}`, {
      hint: 'The metadata is damaged; run `cairn snapshot verify` to find affected snapshots.',
    });
  }
  return v;
}

/** Re-formats any RFC 3339 text into the canonical UTC form kopia writes. */
export function canonicalRfc3339(text: string, what: string): string {
  return formatRfc3339Nano(parseRfc3339Nano(text, what));
}

export const EPOCH_RFC3339 = '1970-01-01T00:00:00Z';

type JsonObject = Readonly<Record<string, unknown>>;

/** Reads a key the way Go's json.Unmarshal matches it: exact first, then case-insensitively. */
export function goField(obj: JsonObject, key: string): unknown {
  const v = obj[key];
  if (v !== undefined) return v;
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
