// Errors of the blob layer. Each store maps its native failures onto these so upper layers never see
// errno values or S3 error names.
import { CairnError, type CairnErrorOptions } from '../errors.ts';

export class BlobNotFoundError extends CairnError {
  readonly blobId: string;
  constructor(blobId: string, where: string, options: CairnErrorOptions = {}) {
    super('NOT_FOUND', `blob ${blobId} not found in ${where}`, options);
    this.blobId = blobId;
  }
}

export class BlobExistsError extends CairnError {
  readonly blobId: string;
  constructor(blobId: string, where: string, options: CairnErrorOptions = {}) {
    super('REPO_EXISTS', `blob ${blobId} already exists in ${where}`, options);
    this.blobId = blobId;
  }
}

/** Access denied to a path or object (not credentials: those are AuthFailedError). */
export class StoragePermissionError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('STORAGE_PERMISSION', message, options);
  }
}

export class AuthFailedError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('AUTH_FAILED', message, options);
  }
}

export class BucketNotFoundError extends CairnError {
  constructor(bucket: string, options: CairnErrorOptions = {}) {
    super('BUCKET_NOT_FOUND', `bucket "${bucket}" does not exist`, {
      hint: 'create the bucket first or fix the bucket name in the repository URL',
      ...options,
    });
  }
}

/** Network outage, timeouts, 5xx and throttling. `retryable` is true. */
export class StorageUnavailableError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('UNREACHABLE', message, { retryable: true, ...options });
  }
}

/** The store refuses deletes (append-only credentials or object lock). */
export class DeleteNotPermittedError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('APPEND_ONLY', message, options);
  }
}

/** The storage location itself (directory, not a blob in it) does not exist. */
export class StorageLocationNotFoundError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('REPO_NOT_FOUND', message, options);
  }
}

/** A blob ID the store cannot represent (empty, or containing a path separator); a caller bug. */
export class InvalidBlobIdError extends CairnError {
  readonly blobId: string;
  constructor(blobId: string, reason: string, options: CairnErrorOptions = {}) {
    super('INTERNAL', `invalid blob ID ${JSON.stringify(blobId)}: ${reason}`, options);
    this.blobId = blobId;
  }
}

/**
 * A ranged read reaches past the end of the blob. Upper layers read ranges recorded in indexes, so this
 * means the blob is shorter than the index says (truncated or replaced).
 */
export class BlobRangeError extends CairnError {
  readonly blobId: string;
  constructor(blobId: string, message: string, options: CairnErrorOptions = {}) {
    super('CORRUPT', message, {
      hint: 'the blob is shorter than the index expects; `cairn snapshot verify` lists the affected files',
      ...options,
    });
    this.blobId = blobId;
  }
}

/** A write or delete through a store opened read-only. */
export class ReadOnlyStoreError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('REFUSED', message, { hint: 'open the repository without --read-only to modify it', ...options });
  }
}

/** A repository URL that cannot be parsed or is missing a required part. */
export class InvalidStoreUrlError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('USAGE', message, options);
  }
}
