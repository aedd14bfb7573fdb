// Paths of the source and target trees as the filesystem sees them. A name that is not valid UTF-8 can't
// be a JS string (entry-name.ts), so such a path is bytes: a Buffer, or a plain Uint8Array once it has
// crossed to a worker thread. Paths of valid names stay strings (the common, faster case).
import { displayName, nameFromBytes } from './entry-name.ts';

export type AnyPath = string | Uint8Array;

/** One name below a directory: the listing's text and the bytes the filesystem holds. */
export interface EntryName {
  readonly text: string;
  readonly bytes: Buffer;
}

/** The path as Node's fs API types it (a Buffer view of the bytes, no copy). */
export function fsPath(p: AnyPath): string | Buffer {
  return typeof p === 'string' || Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

/** `dir/name` of a text directory and a valid UTF-8 name (no byte form needed). */
export function childTextPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** `dir/name`: a string while both are valid UTF-8, bytes otherwise. */
export function childPath(dir: AnyPath, name: EntryName): string | Buffer {
  if (typeof dir === 'string' && name.text.isWellFormed()) return childTextPath(dir, name.text);
  return Buffer.concat([typeof dir === 'string' ? Buffer.from(dir) : dir, Buffer.from('/'), name.bytes]);
}

/** A path for messages: bytes that are not UTF-8 shown as \xNN. */
export function displayPath(p: AnyPath): string {
  return typeof p === 'string' ? p : displayName(nameFromBytes(p));
}
