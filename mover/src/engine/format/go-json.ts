// JSON as Go's encoding/json reads and writes it, for every document kopia also reads or writes: the format
// blob and repository config, manifests, and the snapshot layer's listings and payloads (identical metadata
// must serialize identically to dedup, and kopia's own output is the reference).
// Writing: Go escapes <, >, &, U+2028 and U+2029, writes invalid UTF-8 (here: lone surrogates) as U+FFFD,
// sorts map keys by their UTF-8 bytes and keeps struct fields in declaration order.
// Reading: keys match exactly or, failing that, case-insensitively; null and absent mean the zero value;
// []byte is padded standard base64.
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

/**
 * Go's json.Indent of compact JSON (what json.Encoder.SetIndent("", indent) applies to the encoding): a
 * member or element per line, `": "` after keys, empty objects and arrays kept as `{}` and `[]`.
 */
export function goJsonIndent(json: string, indent: string): string {
  let out = '';
  let depth = 0;
  let inString = false;
  const nl = (): string => '\n' + indent.repeat(depth);
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += json[++i]!;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      if (json[i + 1] === close) {
        out += c + close;
        i++;
      } else {
        depth++;
        out += c + nl();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += nl() + c;
    } else if (c === ',') {
      out += c + nl();
    } else if (c === ':') {
      out += ': ';
    } else {
      out += c;
    }
  }
  return out;
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

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `value` as an object, or CorruptionError naming `where`. */
export function asObject(value: unknown, where: string): JsonObject {
  if (!isJsonObject(value)) {
    throw new CorruptionError(`${where} is not a JSON object`, { hint: 'the blob is damaged; restore it from a backup copy' });
  }
  return value;
}

export function parseJsonObject(bytes: Uint8Array, where: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (cause) {
    throw new CorruptionError(`${where} is not valid JSON`, { hint: 'the blob is damaged; restore it from a backup copy', cause });
  }
  return asObject(value, where);
}

/** The key Go's json.Unmarshal binds to `name`: an exact match first, else the first case-insensitive one. */
export function matchKey(obj: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

/** The value Go would bind to field `name` (undefined when no key matches). */
export function goField(obj: JsonObject, name: string): unknown {
  const k = matchKey(obj, name);
  return k === undefined ? undefined : obj[k];
}

/** Reads one field of a decoded object the way Go binds it. */
export type FieldReader = (obj: JsonObject, name: string) => unknown;

const exactField: FieldReader = (obj, name) => (Object.hasOwn(obj, name) ? obj[name] : undefined);

/**
 * The field reader for one object. Go binds keys case-insensitively, so a field not spelled as the struct
 * spells it must be searched for among all keys — for every absent (omitempty) field of every record, the
 * bulk of decoding a large listing. An object whose keys are all among `spelled` (the struct's own
 * spellings) needs no search: a field it lacks is absent.
 */
export function fieldReader(obj: JsonObject, spelled: ReadonlySet<string>): FieldReader {
  for (const k in obj) if (!spelled.has(k)) return goField;
  return exactField;
}

function bad(where: string, name: string, what: string): CorruptionError {
  return new CorruptionError(`${where}: field "${name}" is not ${what}`, {
    hint: 'the repository configuration is damaged or was written by an incompatible tool',
  });
}

export function getString(obj: JsonObject, name: string, where: string): string {
  const v = goField(obj, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(where, name, 'a string');
  return v;
}

export function getNumber(obj: JsonObject, name: string, where: string): number {
  const v = goField(obj, name);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(where, name, 'a number');
  return v;
}

export function getInteger(obj: JsonObject, name: string, where: string): number {
  const v = getNumber(obj, name, where);
  if (!Number.isSafeInteger(v)) throw bad(where, name, 'an integer');
  return v;
}

export function getBoolean(obj: JsonObject, name: string, where: string): boolean {
  const v = goField(obj, name);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw bad(where, name, 'a boolean');
  return v;
}

export function getBytes(obj: JsonObject, name: string, where: string): Buffer {
  const v = goField(obj, name);
  if (v === undefined || v === null) return Buffer.alloc(0);
  if (typeof v !== 'string') throw bad(where, name, 'base64 text');
  const s = v.replace(/[\r\n]/g, '');
  if (!BASE64.test(s)) throw bad(where, name, 'padded standard base64');
  return Buffer.from(s, 'base64');
}

/** The member object `name`, or undefined when absent or null. */
export function getObject(obj: JsonObject, name: string, where: string): JsonObject | undefined {
  const v = goField(obj, name);
  if (v === undefined || v === null) return undefined;
  return asObject(v, `${where}: field "${name}"`);
}

export function getArray(obj: JsonObject, name: string, where: string): unknown[] | undefined {
  const v = goField(obj, name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(where, name, 'an array');
  return v;
}

/** Members of `obj` that none of `known` binds to (kept so a rewrite does not lose them). */
export function unknownMembers(obj: JsonObject, known: readonly string[]): Record<string, unknown> {
  const bound = new Set(known.map((k) => matchKey(obj, k)).filter((k): k is string => k !== undefined));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!bound.has(k)) out[k] = v;
  return out;
}
