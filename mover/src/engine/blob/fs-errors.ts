// Maps Node filesystem errors (errno codes) onto the blob layer's typed errors, so nothing above the
// filesystem store ever sees an errno. Every message names the path at fault.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CairnError } from '../errors.ts';
import { BlobNotFoundError, StoragePermissionError, StorageUnavailableError } from './blob-errors.ts';

export type FsOperation = 'read' | 'write' | 'delete' | 'list' | 'open';

export function errnoOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code;
  }
  return undefined;
}

/**
 * Converts a filesystem error. `blob` is set for reads of one blob: a missing file (or a shard directory
 * that is missing or not a directory) then means the blob does not exist.
 */
export function mapFsError(
  e: unknown,
  op: FsOperation,
  path: string,
  blob?: { readonly id: string; readonly where: string },
): CairnError {
  if (e instanceof CairnError) return e;
  const code = errnoOf(e);
  const verb = op;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      if (blob !== undefined && op === 'read') return new BlobNotFoundError(blob.id, blob.where, { cause: e });
      return new StoragePermissionError(`cannot ${verb} ${path}: a parent directory is missing or is not a directory`, {
        cause: e,
        hint: 'check that the repository path points to a directory',
      });
    case 'EACCES':
    case 'EPERM':
      return new StoragePermissionError(`permission denied to ${verb} ${path}`, {
        cause: e,
        hint: 'grant the user running cairn read and write access to the repository directory',
      });
    case 'EROFS':
      return new StoragePermissionError(`cannot ${verb} ${path}: the filesystem is mounted read-only`, {
        cause: e,
        hint: 'mount the repository volume read-write, or open the repository read-only',
      });
    case 'ENOSPC':
    case 'EDQUOT':
      return new StoragePermissionError(`cannot ${verb} ${path}: no space left (${code})`, {
        cause: e,
        hint: 'free space or raise the quota of the repository volume',
      });
    case 'EIO':
    case 'EAGAIN':
    case 'EBUSY':
    case 'ETIMEDOUT':
    case 'ESTALE':
    case 'EINTR':
    case 'EMFILE':
    case 'ENFILE':
      return new StorageUnavailableError(`cannot ${verb} ${path}: ${code}`, {
        cause: e,
        hint: 'the storage is temporarily failing; check the volume or network filesystem and retry',
      });
    default:
      return new CairnError('INTERNAL', `cannot ${verb} ${path}: ${code ?? String(e)}`, { cause: e });
  }
}

/**
 * The error for a failed rename of temp file `tmp` into blob file `file`. When the temp file is gone but its
 * directory is there, something deleted the file while it was written: say so, not "a parent directory is
 * missing". Retryable: a blob still held in memory is written again.
 */
export async function renameError(e: unknown, tmp: string, file: string): Promise<CairnError> {
  if (errnoOf(e) === 'ENOENT' && (await stat(dirname(tmp)).then((st) => st.isDirectory(), () => false))) {
    return new StorageUnavailableError(`cannot write ${file}: its temporary file ${tmp} was deleted before it was renamed into place`, {
      cause: e,
      hint: 'another program removed it (maintenance with --safety=none while a backup ran, or a cleanup job on the repository volume); retry',
    });
  }
  return mapFsError(e, 'write', file);
}
