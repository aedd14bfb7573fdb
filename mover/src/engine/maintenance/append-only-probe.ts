// Detects storage that refuses deletes (append-only S3 credentials, a bucket policy without
// s3:DeleteObject) before an operation changes anything: it deletes a random blob name that does not
// exist. Stores check permission before existence, so a refusal shows up without touching any data and
// nothing is left behind; a permitted delete of a missing blob is a no-op.
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../blob/blob-store.ts';
import { DeleteNotPermittedError } from '../blob/blob-errors.ts';
import { CairnError } from '../errors.ts';

export class AppendOnlyStorageError extends CairnError {
  constructor(operation: string, where: string, cause: unknown) {
    super('APPEND_ONLY', `${operation} needs to delete from ${where}, but the storage refuses deletes (append-only credentials or object lock); nothing was changed`, {
      cause,
      hint: `run ${operation} with credentials that may delete; backups keep working with the append-only ones`,
    });
  }
}

/** Throws AppendOnlyStorageError when the store refuses deletes. */
export async function assertDeletesPermitted(store: BlobStore, operation: string): Promise<void> {
  const probe = `cairn-delete-probe-${randomBytes(8).toString('hex')}`;
  try {
    await store.delete(probe);
  } catch (e) {
    if (e instanceof DeleteNotPermittedError) throw new AppendOnlyStorageError(operation, store.description, e);
    throw e;
  }
}
