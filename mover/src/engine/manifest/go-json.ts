// JSON text exactly as Go's encoding/json writes it, for metadata whose bytes matter (manifests, and the
// snapshot layer's listings and payloads: identical metadata must serialize identically to dedup, and
// kopia's own output is the reference). Go's encoder escapes <, >, &, U+2028 and U+2029, writes invalid
// UTF-8 (here: lone surrogates) as U+FFFD, sorts map keys by their UTF-8 bytes and keeps struct fields in
// declaration order. Decoding helpers follow Go's lenient rules (keys matched case-insensitively).

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
 * A JSON string literal as Go writes it: `\b \f \n \r \t \" \\` short forms, other control characters as
 * lowercase `\u00xx`, the HTML-unsafe set escaped, everything else literal.
 */
export function goJsonString(s: string): string {
  const lit = JSON.stringify(s.isWellFormed() ? s : s.toWellFormed());
  return HTML_UNSAFE.test(lit) ? lit.replace(HTML_UNSAFE_G, (c) => ESCAPES[c]!) : lit;
}

/** Pre-encoded JSON (Go json.RawMessage): emitted compacted, with the HTML-unsafe set escaped, as Go does. */
export class GoRawJson {
  readonly json: string;
  constructor(json: string) {
    this.json = json;
  }
}

/** Go's json.Compact with HTML escaping: drops insignificant whitespace, escapes <>& U+2028 U+2029 in strings. */
export function goJsonCompact(json: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // skip the escaped character
      else if (c === 0x22) inString = false;
      else if (c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
        out += json.slice(from, i) + ESCAPES[json[i]!]!;
        from = i + 1;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      out += json.slice(from, i);
      from = i + 1;
    }
  }
  return out + json.slice(from);
}

/** Orders strings by their UTF-8 bytes (= code point order), as Go sorts map keys. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, which sort after 0xE000-0xFFFF.
    const sx = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    const sy = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return sx < sy ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Encodes like Go's json.Marshal: plain objects are structs (insertion order; `undefined` fields are
 * omitted, i.e. build omitempty by leaving them out), `Map`s are Go maps (keys sorted), Uint8Array is
 * []byte (padded base64), bigint is an integer, GoRawJson is a RawMessage, objects with toJSON() are
 * encoded through it. Throws TypeError for functions, symbols and non-finite numbers.
 */
export function goJsonEncode(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return goJsonString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} as JSON`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      return encodeObject(value);
    default:
      throw new TypeError(`cannot encode a ${typeof value} as JSON`);
  }
}

function encodeObject(value: object | null): string {
  if (value === null) return 'null';
  if (value instanceof GoRawJson) return goJsonCompact(value.json);
  if (value instanceof Uint8Array) return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
  if (Array.isArray(value)) return '[' + value.map((v: unknown) => goJsonEncode(v)).join(',') + ']';
  if (value instanceof Map) {
    const keys = [...value.keys()].map((k: unknown) => String(k)).sort(compareUtf8);
    const parts = keys.map((k) => `${goJsonString(k)}:${goJsonEncode(value.get(k))}`);
    return '{' + parts.join(',') + '}';
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return goJsonEncode((toJSON as () => unknown).call(value));
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) parts.push(`${goJsonString(k)}:${goJsonEncode(v)}`);
  }
  return '{' + parts.join(',') + '}';
}

/** Go's json.NewEncoder(w).Encode(v): the encoding plus a trailing newline. */
export function goJsonEncodeLine(value: unknown): string {
  return goJsonEncode(value) + '\n';
}

/** A Go map[string]string from a plain record (so the encoder sorts its keys). */
export function goMap<V>(record: Readonly<Record<string, V>>): Map<string, V> {
  return new Map(Object.entries(record));
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a key the way Go's json.Unmarshal matches it: exact first, then case-insensitively. */
export function goField(obj: JsonObject, key: string): unknown {
  const v = obj[key];
  if (v !== undefined) return v;
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}
