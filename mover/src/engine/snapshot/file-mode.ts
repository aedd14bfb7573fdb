// Kopia's `mode` field (snapshot/manifest.go Permissions, fs/entry.go ModBits): the Go os.FileMode
// permission bits plus setuid/setgid/sticky at *Go's* bit positions, written as an octal string with a
// leading "0" ("0755"; setuid 0755 is "040000755"). Cairn keeps POSIX bits (st_mode & 0o7777) in memory
// and converts only at the JSON boundary.

/** Go os.ModeSetuid (1 << 23). */
export const GO_MODE_SETUID = 0o40000000;
/** Go os.ModeSetgid (1 << 22). */
export const GO_MODE_SETGID = 0o20000000;
/** Go os.ModeSticky (1 << 20). */
export const GO_MODE_STICKY = 0o4000000;
const GO_MODE_PERM = 0o777;

const POSIX_SETUID = 0o4000;
const POSIX_SETGID = 0o2000;
const POSIX_STICKY = 0o1000;

/** POSIX st_mode (any type bits are ignored) -> Go FileMode & ModBits. */
export function posixToGoMode(stMode: number): number {
  let m = stMode & GO_MODE_PERM;
  if (stMode & POSIX_SETUID) m += GO_MODE_SETUID;
  if (stMode & POSIX_SETGID) m += GO_MODE_SETGID;
  if (stMode & POSIX_STICKY) m += GO_MODE_STICKY;
  return m;
}

/** Go FileMode -> POSIX permission bits (0..0o7777); other Go bits are dropped. */
export function goModeToPosix(goMode: number): number {
  let m = goMode & GO_MODE_PERM;
  if (goMode & GO_MODE_SETUID) m |= POSIX_SETUID;
  if (goMode & GO_MODE_SETGID) m |= POSIX_SETGID;
  if (goMode & GO_MODE_STICKY) m |= POSIX_STICKY;
  return m;
}

/** POSIX bits -> kopia's mode string ("0755", "040000755"); "" for 0 (the field is then omitted). */
export function formatKopiaMode(posixMode: number): string {
  const go = posixToGoMode(posixMode);
  return go === 0 ? '' : '0' + go.toString(8);
}

/**
 * Kopia's mode string -> POSIX bits, accepting what Go's strconv.ParseInt(s, 0, 32) accepts
 * ("0755", "0o755", "0x1ed", "493"); undefined when malformed.
 */
export function parseKopiaMode(text: string): number | undefined {
  // Kopia writes "0" and octal digits, and every listing entry has a mode: that form is read without the regular
  // expression (1,000,000 calls in a warm loop: 122-130 -> 18-21 ms); anything else, or a value past int32, takes
  // the full parse.
  if (text.length > 1 && text.length <= 12 && text.charCodeAt(0) === 0x30) {
    let v = 0;
    for (let i = 1; i < text.length; i++) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 7) {
        v = -1;
        break;
      }
      v = v * 8 + d;
    }
    if (v >= 0 && v < 2 ** 31) return goModeToPosix(v);
  }
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2]!;
  let v: number;
  if (/^0[xXoObB]/.test(body)) v = Number(body.toLowerCase());
  else if (body.startsWith('0')) v = body.length === 1 ? 0 : parseInt(body.slice(1), 8);
  else v = parseInt(body, 10);
  if (m[1] === '-') v = -v;
  if (!Number.isSafeInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) return undefined;
  return goModeToPosix(v >>> 0);
}
