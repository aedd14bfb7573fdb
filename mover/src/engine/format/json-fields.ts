// Reading and writing JSON the way Go's encoding/json does for kopia's structs: keys match exactly or, failing
// that, case-insensitively; null and absent mean the zero value; []byte is padded standard base64; the encoder
// escapes <, >, &, U+2028 and U+2029.
import { CorruptionError } from '../errors.ts';

export type JsonObject = Record<string, unknown>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function asObject(value: unknown, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptionError(`${where} is not a JSON object`, { hint: 'the blob is damaged; restore it from a backup copy' });
  }
  return value as JsonObject;
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

/** The key Go would bind to `name`: an exact match first, else the first case-insensitive one. */
export function matchKey(obj: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function get(obj: JsonObject, name: string): unknown {
  const k = matchKey(obj, name);
  return k === undefined ? undefined : obj[k];
}

function bad(where: string, name: string, what: string): CorruptionError {
  return new CorruptionError(`${where}: field "${name}" is not ${what}`, {
    hint: 'the repository configuration is damaged or was written by an incompatible tool',
  });
}

export function getString(obj: JsonObject, name: string, where: string): string {
  const v = get(obj, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(where, name, 'a string');
  return v;
}

export function getNumber(obj: JsonObject, name: string, where: string): number {
  const v = get(obj, name);
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
  const v = get(obj, name);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw bad(where, name, 'a boolean');
  return v;
}

export function getBytes(obj: JsonObject, name: string, where: string): Buffer {
  const v = get(obj, name);
  if (v === undefined || v === null) return Buffer.alloc(0);
  if (typeof v !== 'string') throw bad(where, name, 'base64 text');
  const s = v.replace(/[\r\n]/g, '');
  if (!BASE64.test(s)) throw bad(where, name, 'padded standard base64');
  return Buffer.from(s, 'base64');
}

/** The member object `name`, or undefined when absent or null. */
export function getObject(obj: JsonObject, name: string, where: string): JsonObject | undefined {
  const v = get(obj, name);
  if (v === undefined || v === null) return undefined;
  return asObject(v, `${where}: field "${name}"`);
}

export function getArray(obj: JsonObject, name: string, where: string): unknown[] | undefined {
  const v = get(obj, name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(where, name, 'an array');
  return v;
}

/** Members of `obj` that none of `known` binds to (kept so a rewrite does not lose them). */
export function unknownMembers(obj: JsonObject, known: readonly string[]): JsonObject {
  const bound = new Set(known.map((k) => matchKey(obj, k)).filter((k): k is string => k !== undefined));
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (!bound.has(k)) out[k] = v;
  return out;
}

/** JSON.stringify with Go encoding/json's HTML-safe escaping (byte-identical for kopia's own documents). */
export function goJsonStringify(value: unknown, indent?: string): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
