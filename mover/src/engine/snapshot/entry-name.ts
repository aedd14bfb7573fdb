// File names of directory entries: the bytes a filesystem holds <-> the `name` string of a listing.
//
// A Linux file name is any byte string without "/" and NUL; a listing's `name` is a JSON string. Kopia
// (Go) writes names that are not valid UTF-8 with each bad byte replaced by U+FFFD, which loses them (and
// makes different names equal). Cairn keeps them: a byte that is not part of a valid UTF-8 sequence is
// stored as the lone surrogate U+DC80..U+DCFF (byte 0x80..0xFF; Python's PEP 383 "surrogateescape"),
// which JSON writes as `\udcXX`. Valid UTF-8 never decodes to a lone surrogate, so the mapping is
// reversible and leaves every valid name unchanged. Go's JSON decoder turns a lone surrogate into U+FFFD,
// so kopia lists, verifies and restores such snapshots exactly as it does its own snapshots of the same
// tree (with U+FFFD in the name); Cairn restores the original bytes.
//
// Decoding a listing never trusts the string: nameToBytes() maps any other lone surrogate to U+FFFD (as
// Go does), escapes only ever produce bytes >= 0x80 (never "/", NUL or "."), and restore checks the bytes
// it will hand to the filesystem (isSafeName).

const SLASH = 0x2f;
const DOT = 0x2e;
const REPLACEMENT = Buffer.from('\ufffd', 'utf8');

/** Length of the valid UTF-8 sequence starting at b[i] (Unicode table 3-7), or 0 when it is not one. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** The listing name of a file name's bytes (invalid bytes become U+DC80..U+DCFF). */
export function nameFromBytes(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('utf8');
  // Node's decoder writes U+FFFD for invalid input; without one the bytes were valid UTF-8.
  if (!text.includes('\ufffd')) return text;
  let out = '';
  let i = 0;
  while (i < buf.length) {
    const n = utf8SequenceLength(buf, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + buf[i]!);
      i++;
    } else {
      out += buf.toString('utf8', i, i + n);
      i += n;
    }
  }
  return out;
}

/** The file name bytes of a listing name: the inverse of nameFromBytes; other lone surrogates read as U+FFFD. */
export function nameToBytes(name: string): Buffer {
  if (name.isWellFormed()) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < name.length) {
      const d = name.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++; // a valid pair
        continue;
      }
    }
    parts.push(Buffer.from(name.slice(from, i), 'utf8'));
    parts.push(c >= 0xdc80 && c <= 0xdcff ? Buffer.of(c - 0xdc00) : REPLACEMENT);
    from = i + 1;
  }
  parts.push(Buffer.from(name.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

/** False for names no file can have or that would leave their directory: "", ".", "..", with "/" or NUL. */
export function isSafeName(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.includes(SLASH) || bytes.includes(0)) return false;
  if (bytes[0] === DOT && (bytes.length === 1 || (bytes.length === 2 && bytes[1] === DOT))) return false;
  return true;
}

/** A name for messages: escaped bytes shown as \xNN, other characters as they are. */
export function displayName(name: string): string {
  return name.isWellFormed() ? name : name.replace(/[\ud800-\udfff]/gu, (c) => {
    const code = c.charCodeAt(0);
    return code >= 0xdc80 && code <= 0xdcff ? `\\x${(code - 0xdc00).toString(16)}` : '\ufffd';
  });
}
