// The manifest layer (LAMS, kopia repo/manifest): small JSON records addressed by labels (snapshots,
// policies, maintenance parameters). Guarantees:
// - every manifest content (prefix "m") holds gzip'd {"entries":[…]} exactly as kopia writes it, stored
//   with content-level zstd-fastest requested, as kopia does;
// - loading merges all live "m" contents by entry id, the latest `modified` (ns precision) winning, and
//   drops tombstones ("deleted":true); deleting writes a tombstone later than the entry it hides;
// - new entries (random 128-bit hex ids, "type" label required) become visible to other readers only
//   after flush(), which writes them as ONE content and then flushes the content layer (the commit point).
// Kopia sources: repo/manifest/{manifest_manager,committed_manifest_manager,serialized,manifest_entry}.go;
// format summary in kopia-format.md §9.
import { randomBytes } from 'node:crypto';
import type { ContentInfo } from '../content/content-info.ts';
import type { FlushOptions, WriteContentOptions } from '../content/content-store.ts';
import { CairnError, CorruptionError, NotFoundError, UnsupportedError, isCairnError } from '../errors.ts';
import { GoRawJson, goJsonEncode } from '../format/go-json.ts';
import type { ManifestRecord } from './manifest-codec.ts';
import { decodeManifestContent, encodeManifestContent } from './manifest-codec.ts';
import type { Labels, ManifestEntry, ManifestEntryMetadata, ManifestStore } from './manifest-store.ts';
import { formatRfc3339Nano, nowNanos } from './rfc3339-nano.ts';
import { forEachBounded } from '../util/for-each-bounded.ts';

export const MANIFEST_CONTENT_PREFIX = 'm';
export const TYPE_LABEL = 'type';
/** Kopia: "TODO: Configure manifest metadata compression with Policy setting". */
export const MANIFEST_CONTENT_COMPRESSION = 'zstd-fastest';
const LOAD_PARALLELISM = 8;
const LOAD_ATTEMPTS = 3;

/** Content-layer calls the manifest layer needs (ContentReader, plus the writer's for writing). */
export interface ManifestContents {
  getContent(contentId: string): Promise<Buffer>;
  iterateContents(options?: { readonly prefix?: string; readonly includeDeleted?: boolean }): Iterable<ContentInfo>;
  writeContent?(data: Uint8Array, options: WriteContentOptions): Promise<string>;
  deleteContent?(contentId: string): Promise<void>;
  flush?(options?: FlushOptions): Promise<void>;
}

export interface ManifestManagerOptions {
  /** Wall clock in ns since the epoch; default nowNanos(). */
  readonly now?: () => bigint;
  /** New manifest IDs; default 16 random bytes as hex. */
  readonly newId?: () => string;
  /** flush() also flushes the content layer (default true; the repo layer may do it itself). */
  readonly flushContents?: boolean;
  /**
   * Compact on load when at least this many manifest contents exist (kopia: 16, on every writable open).
   * Default 0 = only when compact() is called, so that opening a repository never writes.
   */
  readonly autoCompactThreshold?: number;
}

/** A manifest operation the caller got wrong (missing "type" label). */
export class InvalidManifestError extends CairnError {
  constructor(message: string) {
    super('USAGE', message, { hint: 'every manifest needs a non-empty "type" label' });
  }
}

interface Committed {
  readonly entries: Map<string, ManifestRecord>; // live entries only
  readonly contentIds: Set<string>;
}

/** Entry `a` replaces `b` when strictly later; on a tie a tombstone wins (kopia keeps either). */
function supersedes(a: ManifestRecord, b: ManifestRecord): boolean {
  return a.modifiedNs > b.modifiedNs || (a.modifiedNs === b.modifiedNs && a.deleted && !b.deleted);
}

function matches(labels: Labels | null, wanted: Labels): boolean {
  if (labels === null) return false;
  for (const [k, v] of Object.entries(wanted)) if (labels[k] !== v) return false;
  return true;
}

function metadata(r: ManifestRecord): ManifestEntryMetadata {
  return { id: r.id, labels: { ...r.labels }, modified: r.modified, length: Buffer.byteLength(r.data ?? 'null') };
}

export class ManifestManager implements ManifestStore {
  private readonly contents: ManifestContents;
  private readonly now: () => bigint;
  private readonly newId: () => string;
  private readonly flushContents: boolean;
  private readonly autoCompactThreshold: number;
  private readonly pending = new Map<string, ManifestRecord>();
  private committed: Promise<Committed> | undefined;

  /** A manager with all committed manifests loaded (so damage surfaces when the repository opens). */
  static async load(contents: ManifestContents, options: ManifestManagerOptions = {}): Promise<ManifestManager> {
    const m = new ManifestManager(contents, options);
    await m.load();
    return m;
  }

  constructor(contents: ManifestContents, options: ManifestManagerOptions = {}) {
    this.contents = contents;
    this.now = options.now ?? nowNanos;
    this.newId = options.newId ?? (() => randomBytes(16).toString('hex'));
    this.flushContents = options.flushContents ?? true;
    this.autoCompactThreshold = options.autoCompactThreshold ?? 0;
  }

  async find(labels: Labels): Promise<ManifestEntryMetadata[]> {
    const committed = await this.load();
    const found: ManifestRecord[] = [];
    for (const r of this.pending.values()) if (!r.deleted && matches(r.labels, labels)) found.push(r);
    for (const r of committed.entries.values()) {
      if (!this.pending.has(r.id) && matches(r.labels, labels)) found.push(r);
    }
    found.sort((a, b) => (a.modifiedNs < b.modifiedNs ? -1 : a.modifiedNs > b.modifiedNs ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return found.map(metadata);
  }

  async get<T>(id: string): Promise<ManifestEntry<T>> {
    const { record, json } = await this.getRaw(id);
    let payload: T;
    try {
      payload = JSON.parse(json) as T;
    } catch (e) {
      throw new CorruptionError(`manifest ${id} has an invalid JSON payload`, {
        hint: 'a manifest (snapshot or policy record) is damaged; `cairn repository check` lists what is affected', cause: e,
      });
    }
    return { ...record, payload };
  }

  /** The metadata and the payload's JSON text as stored (for decoders that follow Go's lenient rules). */
  async getRaw(id: string): Promise<{ readonly record: ManifestEntryMetadata; readonly json: string }> {
    const r = this.pending.get(id) ?? (await this.load()).entries.get(id);
    if (r === undefined || r.deleted) {
      throw new NotFoundError(`manifest ${id} not found`, { hint: 'it was deleted, or the ID is wrong; list manifests to see what exists' });
    }
    return { record: metadata(r), json: r.data ?? 'null' };
  }

  /**
   * Adds a manifest, visible to this manager at once and to others after flush(). The payload is encoded
   * with goJsonEncode (plain objects keep insertion order; pass a GoRawJson for pre-encoded JSON).
   */
  async put(labels: Labels, payload: unknown): Promise<string> {
    if (!labels[TYPE_LABEL]) throw new InvalidManifestError(`manifest labels ${JSON.stringify(labels)} have no "${TYPE_LABEL}" label`);
    const data = payload instanceof GoRawJson ? payload.json : goJsonEncode(payload);
    const ns = this.now();
    const id = this.newId();
    this.pending.set(id, { id, labels: { ...labels }, modified: formatRfc3339Nano(ns), modifiedNs: ns, deleted: false, data });
    return id;
  }

  /** Hides a manifest (a tombstone written at the next flush); unknown IDs are ignored, as in kopia. */
  async delete(id: string): Promise<void> {
    const existing = this.pending.get(id) ?? (await this.load()).entries.get(id);
    if (existing === undefined || existing.deleted) return;
    let ns = this.now();
    if (ns <= existing.modifiedNs) ns = existing.modifiedNs + 1n; // a skewed clock must not resurrect it
    this.pending.set(id, { id, labels: null, modified: formatRfc3339Nano(ns), modifiedNs: ns, deleted: true, data: null });
  }

  /** Writes pending entries as one manifest content, then flushes the content layer (through `options.gate`). */
  async flush(options: FlushOptions = {}): Promise<void> {
    if (this.pending.size > 0) {
      const committed = await this.load();
      const batch = [...this.pending.values()];
      const contentId = await this.write(batch);
      for (const r of batch) {
        if (r.deleted) committed.entries.delete(r.id);
        else committed.entries.set(r.id, r);
        if (this.pending.get(r.id) === r) this.pending.delete(r.id);
      }
      committed.contentIds.add(contentId);
    }
    if (this.flushContents) await this.contents.flush?.(options);
  }

  /** Forgets what was loaded, so the next call sees other writers' manifests. Pending entries stay. */
  reload(): void {
    this.committed = undefined;
  }

  /** Rewrites all live manifests into one content and deletes the others (kopia compactLocked). */
  async compact(): Promise<void> {
    const committed = await this.load();
    if (committed.contentIds.size <= 1) return;
    const del = this.contents.deleteContent;
    if (del === undefined) throw new UnsupportedError('compacting manifests needs a writable repository');
    const live = [...committed.entries.values()];
    const written = live.length > 0 ? await this.write(live) : undefined;
    for (const id of [...committed.contentIds]) {
      if (id === written) continue;
      await del.call(this.contents, id);
      committed.contentIds.delete(id);
    }
    if (written !== undefined) committed.contentIds.add(written);
    await this.contents.flush?.();
  }

  private async write(records: readonly ManifestRecord[]): Promise<string> {
    const write = this.contents.writeContent;
    if (write === undefined) throw new UnsupportedError('writing manifests needs a writable repository', { hint: 'open the repository for writing' });
    return write.call(this.contents, encodeManifestContent(records), { prefix: MANIFEST_CONTENT_PREFIX, compression: MANIFEST_CONTENT_COMPRESSION });
  }

  private load(): Promise<Committed> {
    if (this.committed === undefined) {
      const p = this.loadWithRetry();
      this.committed = p;
      p.catch(() => {
        if (this.committed === p) this.committed = undefined;
      });
    }
    return this.committed;
  }

  private async loadWithRetry(): Promise<Committed> {
    for (let attempt = 1; ; attempt++) {
      try {
        const committed = await this.loadOnce();
        if (this.autoCompactThreshold > 0 && committed.contentIds.size >= this.autoCompactThreshold &&
            this.contents.writeContent !== undefined && this.contents.deleteContent !== undefined) {
          this.committed = Promise.resolve(committed);
          await this.compact();
        }
        return committed;
      } catch (e) {
        // A content listed a moment ago vanished: another client compacted manifests. Load again.
        if (attempt >= LOAD_ATTEMPTS || !isCairnError(e) || e.code !== 'NOT_FOUND') throw e;
      }
    }
  }

  private async loadOnce(): Promise<Committed> {
    const ids = [...this.contents.iterateContents({ prefix: MANIFEST_CONTENT_PREFIX })].filter((ci) => !ci.deleted).map((ci) => ci.contentId);
    const entries = new Map<string, ManifestRecord>();
    await forEachBounded(ids, LOAD_PARALLELISM, async (id) => {
      for (const r of decodeManifestContent(await this.contents.getContent(id), id)) {
        const prev = entries.get(r.id);
        if (prev === undefined || supersedes(r, prev)) entries.set(r.id, r);
      }
    });
    for (const [id, r] of entries) if (r.deleted) entries.delete(id);
    return { entries, contentIds: new Set(ids) };
  }
}
