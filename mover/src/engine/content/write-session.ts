// The upload side of a writer session (kopia sessions.go + the pack upload part of content_manager.go):
// sealed packs are uploaded with bounded parallelism; the session marker is stored before the first
// pack of a session and deleted by commit() once the index blob for the session's packs exists. Packs
// whose upload failed stay readable from memory and are retried before the next write or flush — unless
// the failure cannot heal by retrying (permission denied, rejected credentials, missing bucket): then the
// next write or flush throws that error without touching storage again. A pack written to storage as it
// filled (a filesystem repository's data packs) has no copy in memory: its failure is thrown again by every
// retry, so the write or flush fails with it.
import type { BlobStore } from '../blob/blob-store.ts';
import { BlobNotFoundError, DeleteNotPermittedError } from '../blob/blob-errors.ts';
import type { ContentEncryptor } from '../crypto/content-encryptor.ts';
import { isCairnError } from '../errors.ts';
import type { KeyedHasher } from '../crypto/keyed-hasher.ts';
import type { PackWriter } from './pack-writer.ts';
import { generateSessionId, sessionIdFromBlobId, writeSessionMarker } from './session-marker.ts';

/** The part of a pino logger the content layer uses. */
export interface ContentLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WriteSessionOptions {
  readonly now: () => Date;
  readonly logger: ContentLogger | undefined;
  readonly username: string;
  readonly hostname: string;
  readonly uploadParallelism: number;
  /** Called when a pack is stored; its entries can then go into the pending index. */
  readonly onUploaded: (pack: PackWriter, bytes: number) => void;
}

interface SessionState {
  readonly startTime: Date;
  marker: Promise<string> | undefined;
}

export class WriteSession {
  /** Sealed packs not yet stored: queued, uploading or failed. Their contents are readable from memory. */
  readonly writingPacks = new Set<PackWriter>();
  private readonly store: BlobStore;
  private readonly hasher: KeyedHasher;
  private readonly encryptor: ContentEncryptor;
  private readonly options: WriteSessionOptions;
  private readonly sessions = new Map<string, SessionState>();
  private current: string | undefined;
  private readonly failed: PackWriter[] = [];
  /** The first upload error that retrying cannot fix; thrown by retryFailed(). */
  private permanentFailure: unknown;
  private readonly tasks = new Set<Promise<void>>();
  private active = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly capacityWaiters: (() => void)[] = [];

  constructor(store: BlobStore, hasher: KeyedHasher, encryptor: ContentEncryptor, options: WriteSessionOptions) {
    this.store = store;
    this.hasher = hasher;
    this.encryptor = encryptor;
    this.options = options;
  }

  /** The session ID for new packs and index blobs; starts a session when none is open. */
  currentId(): string {
    if (this.current === undefined) {
      const now = this.options.now();
      this.current = generateSessionId(now);
      this.sessions.set(this.current, { startTime: now, marker: undefined });
    }
    return this.current;
  }

  /** Starts uploading a sealed pack (once an upload slot is free). */
  seal(pack: PackWriter): void {
    this.writingPacks.add(pack);
    const task = this.upload(pack).finally(() => {
      this.tasks.delete(task);
      this.notifyCapacity();
    });
    this.tasks.add(task);
  }

  /** Resolves when no more than `uploadParallelism` packs are queued or uploading (backpressure). */
  async waitForCapacity(): Promise<void> {
    while (this.inFlight() > this.options.uploadParallelism) {
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
  }

  /** Resolves when every upload started so far has finished (successfully or not). */
  async waitForUploads(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
  }

  /** Uploads failed packs again, one by one; throws the first error that persists (at once if not retryable). */
  async retryFailed(): Promise<void> {
    if (this.permanentFailure !== undefined) throw this.permanentFailure;
    while (this.failed.length > 0) {
      const pack = this.failed[0]!;
      await this.put(pack);
      this.failed.shift();
    }
  }

  /** Deletes the markers of all sessions so far (their packs are indexed now) and ends the session. */
  async commit(): Promise<void> {
    for (const [id, s] of this.sessions) {
      if (s.marker === undefined) continue;
      const blobId = await s.marker.catch(() => undefined);
      if (blobId === undefined) continue;
      try {
        await this.store.delete(blobId);
      } catch (e) {
        if (e instanceof BlobNotFoundError) continue;
        if (e instanceof DeleteNotPermittedError) {
          this.options.logger?.warn({ blobId, session: id }, 'session marker could not be deleted (append-only storage)');
          continue;
        }
        throw e;
      }
    }
    this.sessions.clear();
    this.current = undefined;
  }

  private inFlight(): number {
    return this.writingPacks.size - this.failed.length;
  }

  private notifyCapacity(): void {
    const waiters = this.capacityWaiters.splice(0);
    for (const w of waiters) w();
  }

  private async upload(pack: PackWriter): Promise<void> {
    while (this.active >= this.options.uploadParallelism) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    this.active++;
    try {
      await this.put(pack);
    } catch (e) {
      this.failed.push(pack);
      if (isCairnError(e) && !e.retryable) {
        // Reported by the caller through retryFailed(); a warning with the stack would only repeat it.
        this.permanentFailure ??= e;
        this.options.logger?.debug({ pack: pack.packBlobId, err: e }, 'pack upload failed permanently');
      } else {
        this.options.logger?.warn({ pack: pack.packBlobId, err: e }, 'pack upload failed; will retry');
      }
    } finally {
      this.active--;
      this.slotWaiters.shift()?.();
    }
  }

  private async put(pack: PackWriter): Promise<void> {
    const bytes = pack.seal();
    if (bytes > 0) {
      await this.ensureMarker(sessionIdFromBlobId(pack.packBlobId));
      await pack.storeIn(this.store);
      this.options.logger?.debug({ pack: pack.packBlobId, bytes, contents: pack.contentCount }, 'uploaded pack');
    } else {
      await pack.discard();
    }
    this.writingPacks.delete(pack);
    this.options.onUploaded(pack, bytes);
    pack.release();
  }

  /**
   * Stores the session's marker unless it is stored already: before the session's first blob, and before a
   * pack streamed to storage creates its temp file, so maintenance sees the session as live while it writes.
   */
  ensureMarker(sessionId: string): Promise<string> {
    let s = this.sessions.get(sessionId);
    if (s === undefined) {
      s = { startTime: this.options.now(), marker: undefined };
      this.sessions.set(sessionId, s);
    }
    if (s.marker === undefined) {
      const state = s;
      const marker = writeSessionMarker(this.store, this.hasher, this.encryptor, {
        id: sessionId,
        startTime: state.startTime,
        checkpointTime: this.options.now(),
        username: this.options.username,
        hostname: this.options.hostname,
      });
      state.marker = marker;
      marker.catch(() => {
        if (state.marker === marker) state.marker = undefined;
      });
      return marker;
    }
    return s.marker;
  }
}
