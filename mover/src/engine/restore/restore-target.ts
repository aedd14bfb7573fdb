// The restore target: every filesystem operation of restore is addressed as a verified directory plus ONE
// checked name, so that nothing a listing holds (a repository is untrusted input) can make restore create,
// write, chmod, chown or re-time a path outside the target, or follow a symlink it did not verify.
//
// Node has no openat()/mkdirat()/fchownat(), so the guarantee is built from these rules:
// - names: a listing is checked before any of its entries is created. A name must be one path component
//   once decoded to the bytes the filesystem gets (not "", "." or "..", no "/" or NUL) and unique in its
//   listing; otherwise the listing is CORRUPT (exit 17) and nothing of it is created;
// - directories are created by this restore (mkdir, then lstat records device and inode) or, with
//   overwrite, are existing real directories (lstat: a symlink is never taken for a directory). A
//   non-directory in the way is removed with overwrite (unlink removes a symlink itself) and refused without;
// - order: directories and files first, symlinks only once every file is in place, directory attributes
//   last (deepest first). While directories and files are written no symlink made by this restore exists,
//   so the path of a verified directory leads where it did when it was verified;
// - before a symlink is made and before a directory's attributes are set, the chain of directories from
//   the target down is lstat-ed again and must still be the same real directories (device + inode), so even
//   a filesystem that folds names (case-insensitive) can't lead restore through a symlink it made;
// - files are created under a random temporary name with O_CREAT|O_EXCL|O_NOFOLLOW, get owner, mode and
//   times through their descriptor and are renamed into place (rename replaces a symlink, never follows
//   it) — see restore-worker.ts; directories get theirs through a descriptor opened with
//   O_DIRECTORY|O_NOFOLLOW and checked to be the recorded inode; symlinks through lchown/lutimes.
// Assumption: nothing else changes the target while restore runs. A local process that swaps a verified
// directory for a symlink between the check and the use (a window of microseconds) is not defended against:
// that needs openat(), which Node lacks.
import { constants as fsConstants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { lchown, lstat, lutimes, mkdir, open, readdir, realpath, symlink, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { CairnError, CorruptionError } from '../errors.ts';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { displayName, isSafeName, nameToBytes } from '../snapshot/entry-name.ts';
import { childPath, displayPath, type EntryName } from '../snapshot/fs-path.ts';
import { moveIntoPlace, targetError } from './restore-file-writer.ts';
import { utimeArg } from './utime-arg.ts';
import { makeDirectories } from '../util/make-directories.ts';

/** A path handed to the filesystem: a string, or bytes when a name is not valid UTF-8. */
export type FsPath = string | Buffer;

/** A directory of the target that restore created or verified. */
export interface TargetDir {
  readonly path: FsPath;
  readonly parent: TargetDir | undefined;
  readonly dev: bigint;
  readonly ino: bigint;
  /** Snapshot-relative path for messages ("" for the target itself). */
  readonly rel: string;
}

/** Checks every name of a listing before anything of it is created: one safe component each, no duplicates. */
export function checkListingNames(entries: readonly DirEntry[], dirObject: string, rel: string): EntryName[] {
  const seen = new Set<string>();
  const where = `directory ${rel === '' ? '(snapshot root)' : JSON.stringify(displayName(rel))} (object ${dirObject})`;
  const hint = 'The directory listing is damaged or forged; nothing outside the target was written. Run `cairn snapshot verify`.';
  return entries.map((e) => {
    const bytes = nameToBytes(e.name);
    if (!isSafeName(bytes)) throw new CorruptionError(`${where}: unsafe entry name ${JSON.stringify(displayName(e.name))}`, { hint });
    const key = bytes.toString('latin1');
    if (seen.has(key)) throw new CorruptionError(`${where}: the name ${JSON.stringify(displayName(e.name))} appears more than once`, { hint });
    seen.add(key);
    return { text: e.name, bytes };
  });
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function kindOf(st: BigIntStats): string {
  return st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'non-directory';
}

function changed(dir: TargetDir, cause?: unknown): CairnError {
  return new CairnError('TARGET_ERROR', `restore target directory ${displayPath(dir.path)} changed during the restore (it is no longer the directory restore created)`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'Make sure nothing else writes to the target while restoring; on a case-insensitive filesystem, names that differ only in case collide.',
  });
}

export class RestoreTarget {
  private readonly overwrite: boolean;

  private constructor(overwrite: boolean) {
    this.overwrite = overwrite;
  }

  /**
   * Prepares `target` for a root entry of type `rootType`: a directory root restores into `target`
   * (created when missing; must be empty unless overwrite); a file or symlink root becomes `target` itself.
   * Returns the directory things are created in and, for a non-directory root, the name to create.
   */
  static async open(target: string, rootType: string, overwrite: boolean): Promise<{ target: RestoreTarget; dir: TargetDir; name?: EntryName }> {
    const t = new RestoreTarget(overwrite);
    const notEmptyHint = 'Restore into an empty or new directory, or pass --overwrite to replace existing files.';
    if (rootType !== 'd') {
      let parent: string;
      try {
        await makeDirectories(dirname(target));
        parent = await realpath(dirname(target));
      } catch (e) {
        throw targetError(target, 'create', e);
      }
      const st = await lstat(target).catch((e: unknown) => {
        if (errno(e) === 'ENOENT') return undefined;
        throw targetError(target, 'inspect', e);
      });
      if (st !== undefined && !overwrite) throw new CairnError('TARGET_NOT_EMPTY', `restore target ${target} already exists`, { hint: notEmptyHint });
      const text = basename(target);
      return { target: t, dir: await t.verified(parent, undefined, ''), name: { text, bytes: Buffer.from(text) } };
    }
    let st: BigIntStats | undefined;
    try {
      st = await lstat(target, { bigint: true });
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw targetError(target, 'inspect', e);
      try {
        await makeDirectories(target);
      } catch (e2) {
        throw targetError(target, 'create', e2);
      }
    }
    if (st !== undefined) {
      if (!st.isDirectory()) {
        throw new CairnError('TARGET_ERROR', `restore target ${target} exists and is not a directory`, { hint: 'Choose a directory as the restore target.' });
      }
      // A fresh ext4 volume holds only lost+found (root, 0700): it counts as empty, so a restore into a new
      // PVC needs no --overwrite.
      const names = (await readdir(target, { withFileTypes: true }).catch((e: unknown) => {
        throw targetError(target, 'list', e);
      })).filter((d) => !(d.name === 'lost+found' && d.isDirectory())).map((d) => d.name);
      if (names.length > 0 && !overwrite) {
        throw new CairnError('TARGET_NOT_EMPTY', `restore target ${target} is not empty (${names.length} entries)`, { hint: notEmptyHint });
      }
    }
    return { target: t, dir: await t.verified(target, undefined, '') };
  }

  private async verified(path: FsPath, parent: TargetDir | undefined, rel: string): Promise<TargetDir> {
    let st: BigIntStats;
    try {
      st = await lstat(path, { bigint: true });
    } catch (e) {
      throw targetError(path, 'inspect', e);
    }
    if (!st.isDirectory()) throw new CairnError('TARGET_ERROR', `restore target ${displayPath(path)} is not a directory`, { hint: 'Choose a directory as the restore target.' });
    return { path, parent, dev: st.dev, ino: st.ino, rel };
  }

  /** Creates (or, with overwrite, reuses or replaces what is in the way of) directory `name` in `parent`. */
  async makeDir(parent: TargetDir, name: EntryName, rel: string): Promise<TargetDir> {
    const path = childPath(parent.path, name);
    try {
      await mkdir(path, { mode: 0o700 });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw targetError(path, 'create directory', e);
      let st: BigIntStats;
      try {
        st = await lstat(path, { bigint: true });
      } catch (e2) {
        throw targetError(path, 'inspect', e2);
      }
      if (!st.isDirectory()) {
        if (!this.overwrite) {
          throw new CairnError('TARGET_ERROR', `cannot create directory ${displayPath(path)}: a ${kindOf(st)} is in the way`, {
            hint: 'Restore into an empty directory, or pass --overwrite to replace it.',
          });
        }
        try {
          await unlink(path);
          await mkdir(path, { mode: 0o700 });
        } catch (e2) {
          throw targetError(path, 'replace with a directory', e2);
        }
      }
    }
    return this.verified(path, parent, rel);
  }

  /** Throws TARGET_ERROR unless `dir` and every directory above it are still the real directories recorded. */
  async verify(dir: TargetDir): Promise<void> {
    for (let d: TargetDir | undefined = dir; d !== undefined; d = d.parent) {
      let st: BigIntStats;
      try {
        st = await lstat(d.path, { bigint: true });
      } catch (e) {
        throw changed(d, e);
      }
      if (!st.isDirectory() || st.ino !== d.ino || st.dev !== d.dev) throw changed(d);
    }
  }

  /**
   * Makes symlink `name` in `parent` (re-verified first). With overwrite, anything in the way is replaced
   * through a temporary symlink and rename; then owner (optional) and times of the link itself.
   */
  async symlink(parent: TargetDir, name: EntryName, linkTarget: Buffer, entry: DirEntry, ownership: boolean,
    tmp: { name(dir: FsPath): FsPath; track(p: FsPath): void; untrack(p: FsPath): void }): Promise<FsPath> {
    await this.verify(parent);
    const path = childPath(parent.path, name);
    if (!this.overwrite) await symlink(linkTarget, path);
    else {
      const t = tmp.name(parent.path);
      await symlink(linkTarget, t);
      tmp.track(t);
      await moveIntoPlace(t, path, true);
      tmp.untrack(t);
    }
    if (ownership) await lchown(path, entry.uid, entry.gid);
    const time = utimeArg(entry.mtime);
    await lutimes(path, time, time);
    return path;
  }

  /**
   * Owner (optional), mode and times of a directory, through a descriptor that is checked to be it. A directory
   * that already existed and belongs to someone else (typically a volume's root: root-owned, setgid for the
   * pod's fsGroup) keeps its attributes when the restore runs without privilege — the kernel would refuse the
   * chmod, and the kubelet, not the snapshot, owns that directory's mode. Returns false when it kept them.
   */
  async finishDir(dir: TargetDir, entry: DirEntry, ownership: boolean): Promise<boolean> {
    if (dir.parent !== undefined) await this.verify(dir.parent);
    const fh = await open(dir.path, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW).catch((e: unknown) => {
      throw errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR' ? changed(dir, e) : e;
    });
    try {
      const st = await fh.stat({ bigint: true });
      if (st.ino !== dir.ino || st.dev !== dir.dev) throw changed(dir);
      const euid = process.geteuid?.();
      if (!ownership && euid !== undefined && euid !== 0 && st.uid !== BigInt(euid)) return false;
      if (ownership) await fh.chown(entry.uid, entry.gid);
      await fh.chmod(entry.mode);
      const time = utimeArg(entry.mtime);
      await fh.utimes(time, time);
      return true;
    } finally {
      await fh.close();
    }
  }
}
