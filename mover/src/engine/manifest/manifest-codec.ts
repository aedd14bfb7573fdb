// The bytes of one manifest content (kopia repo/manifest/serialized.go, committed_manifest_manager.go):
//   gzip( {"entries":[{"id":"…","labels":{…},"modified":"…","deleted":true,"data":{…}},…]}\n )
// `labels` is a Go map (sorted keys; null for tombstones), `deleted` is omitempty, `data` is a
// json.RawMessage: its raw bytes are kept as read, and its byte length is the manifest's `length`.
import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptionError } from '../errors.ts';
import { compareUtf8, goJsonCompact, goJsonString, isJsonObject } from '../format/go-json.ts';
import { parseRfc3339Nano } from './rfc3339-nano.ts';

/** Largest manifest document inflated (kopia writes one per flush; ~1 KB per snapshot entry). */
export const MAX_MANIFEST_DOCUMENT_BYTES = 512 * 1024 * 1024;

export interface ManifestRecord {
  readonly id: string;
  /** null for tombstones, as kopia writes them. */
  readonly labels: Readonly<Record<string, string>> | null;
  /** As stored (RFC 3339). */
  readonly modified: string;
  readonly modifiedNs: bigint;
  readonly deleted: boolean;
  /** The payload's JSON text, or null (tombstones). */
  readonly data: string | null;
}

function encodeLabels(labels: Readonly<Record<string, string>> | null): string {
  if (labels === null) return 'null';
  const keys = Object.keys(labels).sort(compareUtf8);
  return '{' + keys.map((k) => `${goJsonString(k)}:${goJsonString(labels[k]!)}`).join(',') + '}';
}

/** One entry as Go's encoder writes a manifestEntry. */
export function encodeManifestRecord(r: ManifestRecord): string {
  return `{"id":${goJsonString(r.id)},"labels":${encodeLabels(r.labels)},"modified":${goJsonString(r.modified)}` +
    `${r.deleted ? ',"deleted":true' : ''},"data":${r.data === null ? 'null' : goJsonCompact(r.data)}}`;
}

/** The uncompressed JSON document (with json.Encoder's trailing newline). */
export function encodeManifestDocument(records: readonly ManifestRecord[]): string {
  return `{"entries":[${records.map(encodeManifestRecord).join(',')}]}\n`;
}

/** The gzip'd document, as stored in an `m` content. */
export function encodeManifestContent(records: readonly ManifestRecord[]): Buffer {
  return gzipSync(encodeManifestDocument(records));
}

class Scanner {
  pos = 0;
  readonly text: string;
  readonly where: string;

  constructor(text: string, where: string) {
    this.text = text;
    this.where = where;
  }

  fail(why: string, cause?: unknown): CorruptionError {
    return new CorruptionError(`manifest content ${this.where}: ${why} at offset ${this.pos}`, {
      hint: 'a manifest (snapshot or policy record) is damaged; `cairn repository check` lists what is affected',
      cause,
    });
  }

  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  peek(): string {
    this.ws();
    if (this.pos >= this.text.length) throw this.fail('unexpected end of JSON');
    return this.text[this.pos]!;
  }

  expect(ch: string): void {
    if (this.peek() !== ch) throw this.fail(`expected ${JSON.stringify(ch)}`);
    this.pos++;
  }

  /** Skips one value; returns its raw text. */
  value(): string {
    this.peek();
    const start = this.pos;
    const t = this.text;
    const c = t[start]!;
    if (c === '"') {
      this.skipString();
    } else if (c === '{' || c === '[') {
      let depth = 0;
      while (true) {
        if (this.pos >= t.length) throw this.fail('unterminated JSON value');
        const ch = t[this.pos]!;
        if (ch === '"') {
          this.skipString();
          continue;
        }
        this.pos++;
        if (ch === '{' || ch === '[') depth++;
        else if ((ch === '}' || ch === ']') && --depth === 0) break;
      }
    } else {
      while (this.pos < t.length && !',}] \t\r\n'.includes(t[this.pos]!)) this.pos++;
      if (this.pos === start) throw this.fail('expected a JSON value');
    }
    return t.slice(start, this.pos);
  }

  private skipString(): void {
    const t = this.text;
    this.pos++; // opening quote
    while (true) {
      if (this.pos >= t.length) throw this.fail('unterminated string');
      const ch = t.charCodeAt(this.pos++);
      if (ch === 0x5c) this.pos++;
      else if (ch === 0x22) return;
    }
  }

  parse(raw: string): unknown {
    try {
      return JSON.parse(raw);
    } catch (e) {
      throw this.fail(`invalid JSON ${JSON.stringify(raw.slice(0, 40))}`, e);
    }
  }

  /** Calls `member(key)` for each member of the object starting here; `member` must consume the value. */
  object(member: (key: string) => void): void {
    this.expect('{');
    if (this.peek() === '}') {
      this.pos++;
      return;
    }
    while (true) {
      if (this.peek() !== '"') throw this.fail('expected an object key');
      const key = this.parse(this.value()) as string;
      this.expect(':');
      member(key);
      const next = this.peek();
      this.pos++;
      if (next === '}') return;
      if (next !== ',') throw this.fail('expected "," or "}"');
    }
  }
}

function record(sc: Scanner): ManifestRecord {
  let id: unknown;
  let labels: unknown = null;
  let modified: unknown;
  let deleted: unknown = false;
  let data: string | null = null;
  sc.object((key) => {
    const k = key.toLowerCase(); // Go matches field names case-insensitively
    if (k === 'data') {
      const raw = sc.value();
      data = raw === 'null' ? null : raw;
    } else {
      const v = sc.parse(sc.value());
      if (k === 'id') id = v;
      else if (k === 'labels') labels = v;
      else if (k === 'modified') modified = v;
      else if (k === 'deleted') deleted = v;
    }
  });
  if (typeof id !== 'string' || id === '') throw sc.fail('entry without an id');
  if (labels !== null && (!isJsonObject(labels) || Object.values(labels).some((v) => typeof v !== 'string'))) {
    throw sc.fail(`entry ${id} has invalid labels`);
  }
  if (typeof modified !== 'string') throw sc.fail(`entry ${id} has no modified time`);
  if (typeof deleted !== 'boolean') throw sc.fail(`entry ${id} has an invalid deleted flag`);
  return {
    id,
    labels: labels as Record<string, string> | null,
    modified,
    modifiedNs: parseRfc3339Nano(modified, `manifest content ${sc.where}, entry ${id} modified`),
    deleted,
    data,
  };
}

/** Parses an uncompressed manifest document; `where` names the content in errors. */
export function decodeManifestDocument(text: string, where: string): ManifestRecord[] {
  const sc = new Scanner(text, where);
  const out: ManifestRecord[] = [];
  let seen = false;
  sc.object((key) => {
    if (key.toLowerCase() !== 'entries') {
      sc.value();
      return;
    }
    if (seen) throw sc.fail('repeated entries field');
    seen = true;
    if (sc.peek() === 'n') {
      if (sc.value() !== 'null') throw sc.fail('expected entries array');
      return;
    }
    sc.expect('[');
    if (sc.peek() === ']') {
      sc.pos++;
      return;
    }
    while (true) {
      out.push(record(sc));
      const next = sc.peek();
      sc.pos++;
      if (next === ']') return;
      if (next !== ',') throw sc.fail('expected "," or "]"');
    }
  });
  return out;
}

/** Gunzips and parses a manifest content. */
export function decodeManifestContent(data: Uint8Array, where: string): ManifestRecord[] {
  let text: string;
  try {
    // bounded: a forged content must not inflate into all of memory (real ones are far smaller)
    text = gunzipSync(data, { maxOutputLength: MAX_MANIFEST_DOCUMENT_BYTES }).toString('utf8');
  } catch (e) {
    throw new CorruptionError(`manifest content ${where} is not valid gzip`, {
      hint: 'a manifest (snapshot or policy record) is damaged; `cairn repository check` lists what is affected', cause: e,
    });
  }
  return decodeManifestDocument(text, where);
}
