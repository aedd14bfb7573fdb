// Write sessions (kopia repo/content/sessions.go). Every pack name ends in the writer's session ID; before
// the first pack of a session is uploaded the writer stores a session marker blob
// `s ‖ hex(hash) ‖ "-" ‖ sessionID` (blobcrypto of a small JSON document), and deletes it once the index
// blob for the session's packs is written. Kopia's pack GC keeps unindexed packs whose session marker
// is younger than 96 hours, so a marker protects the packs of a backup that is still running.
import { randomBytes } from 'node:crypto';
import type { BlobReader, BlobStore } from '../blob/blob-store.ts';
import { listAll } from '../blob/blob-store.ts';
import { BlobNotFoundError } from '../blob/blob-errors.ts';
import { decryptBlob, encryptBlob } from '../crypto/blob-crypto.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import { CorruptionError } from '../errors.ts';

export const SESSION_MARKER_PREFIX = 's';
const SESSION_EPOCH_START_MS = Date.UTC(2000, 0, 1);
const SESSION_EPOCH_MS = 30 * 24 * 3600 * 1000;

/** `s ‖ %016x(8 random bytes) ‖ %x(30-day periods since 2000-01-01)`, e.g. "sb5fde808214a345c132". */
export function generateSessionId(now: Date): string {
  const period = Math.floor((now.getTime() - SESSION_EPOCH_START_MS) / SESSION_EPOCH_MS);
  return `${SESSION_MARKER_PREFIX}${randomBytes(8).toString('hex')}${Math.max(0, period).toString(16)}`;
}

/** The session ID in a pack or marker blob ID ("" when none): the first "-"-separated part after the first that starts with "s". */
export function sessionIdFromBlobId(blobId: string): string {
  const parts = blobId.split('-');
  for (const p of parts.slice(1)) if (p.startsWith(SESSION_MARKER_PREFIX)) return p;
  return '';
}

export interface SessionInfo {
  readonly id: string;
  readonly startTime: Date;
  readonly checkpointTime: Date;
  readonly username: string;
  readonly hostname: string;
}

/** Go's time.Time JSON form (RFC 3339 with trailing zeros of the fraction trimmed). */
export function goTimeString(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z');
}

export function encodeSessionInfo(info: SessionInfo): Buffer {
  return Buffer.from(JSON.stringify({
    id: info.id,
    startTime: goTimeString(info.startTime),
    checkpointTime: goTimeString(info.checkpointTime),
    username: info.username,
    hostname: info.hostname,
  }), 'utf8');
}

export function decodeSessionInfo(json: Buffer, blobId: string): SessionInfo {
  let v: unknown;
  try {
    v = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new CorruptionError(`session marker ${blobId} is not JSON`, { cause: e, hint: 'delete the damaged session marker' });
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const str = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
  return {
    id: str('id'),
    startTime: new Date(str('startTime')),
    checkpointTime: new Date(str('checkpointTime')),
    username: str('username'),
    hostname: str('hostname'),
  };
}

/** Writes a session marker and returns its blob ID. */
export async function writeSessionMarker(store: BlobStore, hasher: KeyedHasher, encryptor: ContentEncryptor, info: SessionInfo): Promise<string> {
  const { blobId, data } = encryptBlob(hasher, encryptor, SESSION_MARKER_PREFIX, info.id, encodeSessionInfo(info));
  await store.put(blobId, data);
  return blobId;
}

/** Active sessions by ID (the marker with the latest checkpoint wins), as kopia ListActiveSessions. */
export async function listActiveSessions(store: BlobReader, encryptor: ContentEncryptor): Promise<Map<string, SessionInfo>> {
  const out = new Map<string, SessionInfo>();
  for (const m of await listAll(store, SESSION_MARKER_PREFIX)) {
    const sid = sessionIdFromBlobId(m.id);
    if (sid === '') throw new CorruptionError(`found invalid session blob ${m.id}`, { hint: 'delete the foreign blob whose name starts with "s"' });
    let data: Buffer;
    try {
      data = await store.get(m.id);
    } catch (e) {
      if (e instanceof BlobNotFoundError) continue;
      throw e;
    }
    const info = decodeSessionInfo(decryptBlob(encryptor, m.id, data), m.id);
    const old = out.get(sid);
    if (old === undefined || info.checkpointTime > old.checkpointTime) out.set(sid, info);
  }
  return out;
}
