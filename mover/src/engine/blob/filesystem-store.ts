// A BlobStore in a local (or network-mounted) directory, in kopia's sharded layout
// (repo/blob/filesystem/filesystem_storage.go, repo/blob/sharded/sharded.go): blob `p0123abc…` is the file
// `p/012/3abc….f` under parameters read from the root `.shards` file (see shard-parameters.ts).
// Guarantees: put writes a temp file `<name>.f.tmp.<hex>` in the target directory, fsyncs it, then renames
// (or hard-links, for ifNotExists) it into place and fsyncs the directory, so readers and crashes see the
// old blob or the whole new one; list never reports temp files; timestamps are file mtimes. openWriter
// (file-blob-writer.ts) writes a data pack to the same kind of temp file while it fills and renames it the same way.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Dirent } from 'node:fs';
import { link, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeDirectories } from '../util/make-directories.ts';
import type { BlobMetadata, BlobStore, ByteRange, LiveWriters, PutOptions, TemporarySweep } from './blob-store.ts';
import { BlobExistsError, BlobNotFoundError, BlobRangeError, StorageLocationNotFoundError } from './blob-errors.ts';
import { CorruptionError } from '../errors.ts';
import { assertEmptyDirectory } from './empty-directory.ts';
import { errnoOf, mapFsError, renameError } from './fs-errors.ts';
import { isDirectIoRefused, writeDirect } from './direct-write.ts';
import { directSpan, readDirect } from './direct-read.ts';
import { pageOffsetOf } from '../util/page-aligned-buffer.ts';
import type { BlobWriter, BlobWriterOptions } from './blob-writer.ts';
import { FileBlobWriter } from './file-blob-writer.ts';
import {
  COMPLETE_BLOB_SUFFIX,
  DEFAULT_SHARD_PARAMETERS,
  LEGACY_SHARD_PARAMETERS,
  SHARDS_FILE_NAME,
  parseShardParameters,
  serializeShardParameters,
  shardedPathOf,
  type ShardParameters,
} from './shard-parameters.ts';

export interface FilesystemStoreOptions {
  /** Create the directory (and `.shards`) when missing. Without it a missing directory is an error. */
  readonly create?: boolean;
  /** fsync files and directories on put (default true). Only tests should turn it off. */
  readonly fsync?: boolean;
  /** Mode of new blob files (default 0o600, as kopia). */
  readonly fileMode?: number;
  /**
   * Mode of new shard directories (default 0o700, as kopia), exactly: set with chmod after mkdir, so the
   * umask cannot take the group's write bit off a shared repository's directories (0o2770).
   */
  readonly dirMode?: number;
  /** How many files list stats at once (default 32). */
  readonly listConcurrency?: number;
  /**
   * For a new repository: refuse a directory that holds anything (an empty `lost+found` aside), before
   * writing `.shards` into it. Files that are not blobs mean the directory belongs to something else, and
   * maintenance must never get to judge files whose names look like packs.
   */
  readonly requireEmpty?: boolean;
  /**
   * Write blobs of at least DIRECT_MIN_BYTES (packs) with O_DIRECT where the filesystem allows it (default
   * true; see direct-write.ts), and read ranges into page-aligned memory (ByteRange.into) with it too
   * (direct-read.ts). A filesystem that refuses it is written and read through the page cache from then on.
   */
  readonly directIo?: boolean;
}

/** Smaller blobs (indexes, manifests, config) go through the page cache: they are read back soon. */
export const DIRECT_MIN_BYTES = 1 << 20;

/** Opens (or with `create`, initializes) a sharded blob directory. */
export async function createFilesystemStore(path: string, options: FilesystemStoreOptions = {}): Promise<FilesystemBlobStore> {
  const root = resolve(path);
  const dirMode = options.dirMode ?? 0o700;
  if (options.requireEmpty === true) await assertEmptyDirectory(root);
  if (options.create === true) {
    try {
      await makeDirectories(root, dirMode, { exactMode: true });
    } catch (e) {
      throw mapFsError(e, 'write', root);
    }
  }
  try {
    const st = await stat(root);
    if (!st.isDirectory()) {
      throw new StorageLocationNotFoundError(`repository path ${root} is not a directory`, {
        hint: 'point the repository URL at a directory',
      });
    }
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') {
      throw new StorageLocationNotFoundError(`repository directory ${root} does not exist`, {
        cause: e,
        hint: 'create the repository first (cairn repository create) or fix the path',
      });
    }
    throw mapFsError(e, 'open', root);
  }
  const store = new FilesystemBlobStore(root, LEGACY_SHARD_PARAMETERS, options);
  const shardsPath = join(root, SHARDS_FILE_NAME);
  let text = await store.readOptional(shardsPath);
  if (text === undefined && options.create === true) {
    const created = await store.writeFileAtomic(root, shardsPath, Buffer.from(serializeShardParameters(DEFAULT_SHARD_PARAMETERS)), true);
    // Lost a race with another creator: use what it wrote.
    text = created ? serializeShardParameters(DEFAULT_SHARD_PARAMETERS) : await store.readOptional(shardsPath);
  }
  const params = text === undefined ? LEGACY_SHARD_PARAMETERS : parseShardParameters(text, shardsPath);
  return new FilesystemBlobStore(root, params, options);
}

export class FilesystemBlobStore implements BlobStore {
  readonly description: string;
  readonly root: string;
  readonly shardParameters: ShardParameters;
  private readonly fsync: boolean;
  private readonly fileMode: number;
  private readonly dirMode: number;
  private readonly listConcurrency: number;
  /** O_DIRECT for large puts: off when asked, on platforms without it, or once the filesystem refused it. */
  private directIo: boolean;
  /** O_DIRECT for ranges read into page-aligned memory: the same, for reads. */
  private directReads: boolean;

  /** Prefer createFilesystemStore, which reads `.shards`. */
  constructor(root: string, shardParameters: ShardParameters, options: FilesystemStoreOptions = {}) {
    this.root = root;
    this.description = `file://${root}`;
    this.shardParameters = shardParameters;
    this.fsync = options.fsync ?? true;
    this.fileMode = options.fileMode ?? 0o600;
    this.dirMode = options.dirMode ?? 0o700;
    this.listConcurrency = Math.max(1, options.listConcurrency ?? 32);
    this.directIo = (options.directIo ?? true) && fsConstants.O_DIRECT !== undefined;
    this.directReads = this.directIo;
  }

  /** Absolute directory and file path of a blob. */
  pathOf(id: string): { dir: string; file: string } {
    const { dirs, file } = shardedPathOf(this.shardParameters, id);
    const dir = join(this.root, ...dirs);
    return { dir, file: join(dir, file) };
  }

  async get(id: string, range?: ByteRange): Promise<Buffer> {
    const { file } = this.pathOf(id);
    const notFound = { id, where: this.description };
    if (range !== undefined) checkRange(id, range);
    if (range !== undefined && range.length > 0 && this.directReads) {
      const into = range.into;
      if (into !== undefined && pageOffsetOf(into) === 0 && into.byteLength >= directSpan(range.offset, range.length).length) {
        const got = await this.getDirect(id, file, range, into);
        if (got !== undefined) return got;
      }
    }
    let fh;
    try {
      fh = await open(file, fsConstants.O_RDONLY);
    } catch (e) {
      throw mapFsError(e, 'read', file, notFound);
    }
    try {
      if (range === undefined) return await fh.readFile();
      if (range.length === 0) {
        if (range.offset > (await fh.stat()).size) throw await this.outsideBlob(id, range, fh);
        return Buffer.alloc(0);
      }
      const into = range.into;
      const buf = into !== undefined && into.byteLength >= range.length
        ? Buffer.from(into.buffer, into.byteOffset, range.length)
        : Buffer.allocUnsafe(range.length);
      let done = 0;
      while (done < range.length) {
        const { bytesRead } = await fh.read(buf, done, range.length - done, range.offset + done);
        if (bytesRead === 0) throw await this.outsideBlob(id, range, fh);
        done += bytesRead;
      }
      return buf;
    } catch (e) {
      throw mapFsError(e, 'read', file, notFound);
    } finally {
      await fh.close();
    }
  }

  /** A range read with O_DIRECT (direct-read.ts), or undefined when the filesystem refuses it: read it buffered. */
  private async getDirect(id: string, file: string, range: ByteRange, into: Uint8Array): Promise<Buffer | undefined> {
    let fh: FileHandle | undefined;
    try {
      fh = await open(file, fsConstants.O_RDONLY | fsConstants.O_DIRECT);
      const got = await readDirect(fh, into, range.offset, range.length);
      if (got === undefined) throw await this.outsideBlob(id, range, fh);
      return got;
    } catch (e) {
      if (!isDirectIoRefused(e)) throw mapFsError(e, 'read', file, { id, where: this.description });
      this.directReads = false; // at open or at the read
      return undefined;
    } finally {
      await fh?.close();
    }
  }

  /** The error for a range that does not lie inside blob `id` (open as `fh`). */
  private async outsideBlob(id: string, range: ByteRange, fh: FileHandle): Promise<BlobRangeError> {
    const size = (await fh.stat()).size;
    return new BlobRangeError(id, `range ${range.offset}+${range.length} is outside blob ${id} (${size} bytes) in ${this.description}`);
  }

  async stat(id: string): Promise<BlobMetadata> {
    const { file } = this.pathOf(id);
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new BlobNotFoundError(id, this.description);
      return { id, length: st.size, timestamp: st.mtime };
    } catch (e) {
      throw mapFsError(e, 'read', file, { id, where: this.description });
    }
  }

  list(prefix: string): AsyncIterable<BlobMetadata> {
    return this.walk(this.root, '', prefix);
  }

  /** A directory's entries; a shard directory removed while the tree is walked is simply empty. */
  private async entriesOf(dir: string): Promise<Dirent[]> {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (dir !== this.root && errnoOf(e) === 'ENOENT') return [];
      throw mapFsError(e, 'list', dir);
    }
  }

  private async *walk(dir: string, current: string, prefix: string): AsyncGenerator<BlobMetadata> {
    const entries = await this.entriesOf(dir);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files: string[] = [];
    const subdirs: string[] = [];
    for (const e of entries) {
      const name = current + e.name;
      if (e.isDirectory()) {
        if (prefix.length > name.length ? prefix.startsWith(name) : name.startsWith(prefix)) subdirs.push(e.name);
      } else if (e.isFile() && e.name.endsWith(COMPLETE_BLOB_SUFFIX)) {
        if (name.startsWith(prefix)) {
          this.checkPlacement(name.slice(0, -COMPLETE_BLOB_SUFFIX.length), join(dir, e.name));
          files.push(e.name);
        }
      }
    }
    for (let i = 0; i < files.length; i += this.listConcurrency) {
      const batch = files.slice(i, i + this.listConcurrency);
      const stats = await Promise.all(
        batch.map(async (name) => {
          const path = join(dir, name);
          try {
            return await stat(path);
          } catch (e) {
            if (errnoOf(e) === 'ENOENT') return undefined; // deleted since readdir
            throw mapFsError(e, 'list', path);
          }
        }),
      );
      for (let j = 0; j < batch.length; j++) {
        const st = stats[j];
        if (st === undefined) continue;
        const name = batch[j]!;
        yield { id: current + name.slice(0, -COMPLETE_BLOB_SUFFIX.length), length: st.size, timestamp: st.mtime };
      }
    }
    for (const sub of subdirs) yield* this.walk(join(dir, sub), current + sub, prefix);
  }

  /**
   * A listed file must be where the shard layout puts its blob ID, or get() could not find what list()
   * reported: the symptom of a wrong or missing `.shards` file, or of foreign files in the repository.
   */
  private checkPlacement(id: string, path: string): void {
    let expected: string;
    try {
      expected = this.pathOf(id).file;
    } catch {
      expected = '';
    }
    if (expected === path) return;
    throw new CorruptionError(`${path} is not where this repository's shard layout (${SHARDS_FILE_NAME}: ${serializeShardParameters(this.shardParameters).trim()}) puts blob ${id}${expected === '' ? '' : ` (${expected})`}`, {
      hint: `the ${SHARDS_FILE_NAME} file does not match the repository's files (restore it from a copy), or a file that is not a blob was put into the repository directory (move it out)`,
    });
  }

  async put(id: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    const { dir, file } = this.pathOf(id);
    const written = await this.writeFileAtomic(dir, file, data, options.ifNotExists === true);
    if (!written) throw new BlobExistsError(id, this.description);
  }

  /** Writes a new blob while it is produced (file-blob-writer.ts): its temp file, then the same rename as put(). */
  openWriter(id: string, options: BlobWriterOptions = {}): BlobWriter {
    const { dir, file } = this.pathOf(id);
    const tmp = tempNameFor(file);
    return new FileBlobWriter(id, {
      file,
      dir,
      tmp,
      fsync: this.fsync,
      beforeFirstWrite: options.beforeFirstWrite,
      directIo: () => this.directIo,
      directIoRefused: () => {
        this.directIo = false;
      },
      openTemp: (direct) => this.openTemp(dir, tmp, direct),
      syncDir: () => this.syncDir(dir),
    });
  }

  async delete(id: string): Promise<void> {
    const { file } = this.pathOf(id);
    try {
      await unlink(file);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw mapFsError(e, 'delete', file);
    }
  }

  /**
   * Deletes the temp files (`<blob>.f.tmp.<suffix>`, as put() and openWriter() name them, and as kopia does)
   * last modified before `olderThan`, but for those of blobs `liveWriters` names: what a writer killed between
   * creating and renaming one left (a pack streamed while it fills leaves up to its size). A writer still
   * running may not have touched its file for a while (a held or slow source), so age alone cannot tell.
   * Everything else in the tree is left alone.
   */
  async sweepTemporary(olderThan: Date, liveWriters?: LiveWriters): Promise<TemporarySweep> {
    const sweep: TemporarySweep = { deletedFiles: 0, deletedBytes: 0, keptFiles: 0 };
    const stale: StaleTemporary[] = [];
    await this.findTemporary(this.root, '', olderThan.getTime(), stale, sweep);
    if (stale.length === 0) return sweep;
    const live = liveWriters === undefined ? () => false : await liveWriters();
    for (const t of stale) {
      if (live(t.blobId)) {
        sweep.keptFiles++;
        continue;
      }
      try {
        await unlink(t.path);
        sweep.deletedFiles++;
        sweep.deletedBytes += t.size;
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') throw mapFsError(err, 'delete', t.path); // ENOENT: its writer finished or cleaned up
      }
    }
    return sweep;
  }

  /** Collects the temp files under `dir` (blob IDs starting with `current`) modified before `before`. */
  private async findTemporary(dir: string, current: string, before: number, stale: StaleTemporary[], sweep: TemporarySweep): Promise<void> {
    for (const e of await this.entriesOf(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        await this.findTemporary(path, current + e.name, before, stale, sweep);
        continue;
      }
      const match = e.isFile() ? TEMP_FILE_NAME.exec(e.name) : null;
      if (match === null) continue;
      try {
        const st = await stat(path);
        if (st.mtimeMs >= before) sweep.keptFiles++;
        else stale.push({ path, blobId: current + e.name.slice(0, match.index), size: st.size });
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') throw mapFsError(err, 'list', path);
      }
    }
  }

  async close(): Promise<void> {}

  /** Reads a whole file, or undefined when it does not exist. */
  async readOptional(path: string): Promise<string | undefined> {
    try {
      const fh = await open(path, fsConstants.O_RDONLY);
      try {
        return await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return undefined;
      throw mapFsError(e, 'read', path);
    }
  }

  /**
   * Writes `file` (in `dir`) through a temp file. With `exclusive`, returns false instead of replacing an
   * existing file (hard link, which fails atomically with EEXIST).
   */
  async writeFileAtomic(dir: string, file: string, data: Uint8Array, exclusive: boolean): Promise<boolean> {
    const tmp = tempNameFor(file);
    let placed = false;
    try {
      await this.writeTemp(dir, tmp, data);
      if (exclusive) {
        placed = await this.linkExclusive(tmp, file);
        if (!placed) return false;
      } else {
        await rename(tmp, file).catch(async (e: unknown) => {
          throw await renameError(e, tmp, file);
        });
        placed = true;
      }
    } catch (e) {
      throw mapFsError(e, 'write', file); // name the blob's file, not the random temp name nobody will find
    } finally {
      if (exclusive || !placed) await unlink(tmp).catch(() => undefined);
    }
    if (this.fsync) await this.syncDir(dir);
    return true;
  }

  /** Creates `tmp` (in `dir`) holding `data`, fsynced and closed: with O_DIRECT for large blobs where it works. */
  private async writeTemp(dir: string, tmp: string, data: Uint8Array): Promise<void> {
    if (this.directIo && data.length >= DIRECT_MIN_BYTES) {
      try {
        await this.writeTempWith(dir, tmp, true, (fh) => writeDirect(fh, data));
        return;
      } catch (e) {
        if (!isDirectIoRefused(e)) throw e;
        this.directIo = false;
        await unlink(tmp).catch(() => undefined); // Linux creates the file before it checks O_DIRECT
      }
    }
    await this.writeTempWith(dir, tmp, false, (fh) => fh.writeFile(data));
  }

  private async writeTempWith(dir: string, tmp: string, direct: boolean, write: (fh: FileHandle) => Promise<void>): Promise<void> {
    const fh = await this.openTemp(dir, tmp, direct);
    try {
      await write(fh);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
  }

  private async openTemp(dir: string, tmp: string, direct: boolean) {
    const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (direct ? fsConstants.O_DIRECT : 0);
    try {
      return await open(tmp, flags, this.fileMode);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e;
      await this.makeDirs(dir);
      return await open(tmp, flags, this.fileMode);
    }
  }

  private async linkExclusive(tmp: string, file: string): Promise<boolean> {
    try {
      await link(tmp, file);
      return true;
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'EEXIST') return false;
      // Filesystems without hard links (some FUSE/SMB mounts): check, then rename. Not race-free, but
      // ifNotExists is only used for repository creation, which is not concurrent in practice.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
        const exists = await stat(file).then(() => true, (err: unknown) => {
          if (errnoOf(err) === 'ENOENT') return false;
          throw err;
        });
        if (exists) return false;
        await rename(tmp, file);
        return true;
      }
      throw e;
    }
  }

  private async makeDirs(dir: string): Promise<void> {
    const first = await makeDirectories(dir, this.dirMode, { exactMode: true });
    if (first === undefined || !this.fsync) return;
    // Make the new directory entries durable: fsync each parent from the first created one downward.
    const parents: string[] = [];
    for (let d = dir; d.length >= first.length; d = resolve(d, '..')) parents.unshift(resolve(d, '..'));
    for (const p of parents) await this.syncDir(p);
  }

  private async syncDir(dir: string): Promise<void> {
    try {
      const fh = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      // Some filesystems refuse fsync on directories; the data itself is already synced.
      const code = errnoOf(e);
      if (code === 'EINVAL' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EISDIR') return;
      throw mapFsError(e, 'write', dir);
    }
  }
}

/** A temp file found by a sweep, older than its cut-off. */
interface StaleTemporary {
  readonly path: string;
  readonly blobId: string;
  readonly size: number;
}

/** A temp file's name: a blob file's, then `.tmp.` and 16 hex digits (tempNameFor; kopia names its own alike). */
const TEMP_FILE_NAME = new RegExp(`\\${COMPLETE_BLOB_SUFFIX}\\.tmp\\.[0-9a-f]{16}$`);

/** A fresh temp name beside `file` (`<name>.f.tmp.<hex>`: never listed as a blob). */
function tempNameFor(file: string): string {
  return `${file}.tmp.${randomBytes(8).toString('hex')}`;
}

function checkRange(id: string, range: ByteRange): void {
  if (!Number.isSafeInteger(range.offset) || !Number.isSafeInteger(range.length) || range.offset < 0 || range.length < 0) {
    throw new BlobRangeError(id, `invalid range ${range.offset}+${range.length} for blob ${id}`);
  }
}
