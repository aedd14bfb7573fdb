// The closed set of failure classes Cairn reports. Each code has exactly one CLI exit code and one
// Kubernetes condition reason, so the operator never has to parse messages. This module is pure data:
// the operator imports it, and so does the engine (its typed errors carry one of these codes).

export const ERROR_CODES = {
  OK: { exitCode: 0, reason: 'Succeeded', summary: 'success' },
  INTERNAL: { exitCode: 1, reason: 'InternalError', summary: 'unexpected internal error (a bug; rerun with --debug)' },
  USAGE: { exitCode: 2, reason: 'InvalidArguments', summary: 'invalid command line or configuration' },
  PARTIAL: { exitCode: 3, reason: 'PartialSnapshot', summary: 'snapshot completed but some files could not be read' },
  WRONG_PASSWORD: { exitCode: 10, reason: 'WrongPassword', summary: 'the repository password is wrong' },
  REPO_NOT_FOUND: { exitCode: 11, reason: 'RepositoryNotFound', summary: 'no repository at the location' },
  REPO_EXISTS: { exitCode: 12, reason: 'RepositoryExists', summary: 'a repository already exists at the location' },
  STORAGE_PERMISSION: { exitCode: 13, reason: 'StoragePermissionDenied', summary: 'storage location is not readable or writable' },
  AUTH_FAILED: { exitCode: 14, reason: 'AuthFailed', summary: 'storage credentials were rejected' },
  BUCKET_NOT_FOUND: { exitCode: 15, reason: 'BucketNotFound', summary: 'the bucket does not exist' },
  UNREACHABLE: { exitCode: 16, reason: 'Unreachable', summary: 'storage endpoint cannot be reached' },
  CORRUPT: { exitCode: 17, reason: 'DataCorrupted', summary: 'repository data failed an integrity check' },
  TARGET_NOT_EMPTY: { exitCode: 18, reason: 'TargetNotEmpty', summary: 'restore target is not empty' },
  NOT_FOUND: { exitCode: 19, reason: 'SnapshotNotFound', summary: 'snapshot or object not found' },
  UNSUPPORTED: { exitCode: 20, reason: 'UnsupportedFormat', summary: 'repository uses a format feature Cairn does not support' },
  SOURCE_ERROR: { exitCode: 21, reason: 'SourceUnreadable', summary: 'the backup source cannot be read' },
  MAINTENANCE_OWNED: { exitCode: 22, reason: 'MaintenanceOwnedElsewhere', summary: 'another client owns maintenance of this repository' },
  APPEND_ONLY: { exitCode: 23, reason: 'DeleteNotPermitted', summary: 'storage refuses deletes (append-only credentials)' },
  REFUSED: { exitCode: 24, reason: 'Refused', summary: 'operation refused by a safety rule' },
  TARGET_ERROR: { exitCode: 25, reason: 'TargetUnwritable', summary: 'the restore target cannot be written' },
  INTERRUPTED: { exitCode: 130, reason: 'Interrupted', summary: 'interrupted by a signal' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function exitCodeFor(code: ErrorCode): number {
  return ERROR_CODES[code].exitCode;
}

export function reasonFor(code: ErrorCode): string {
  return ERROR_CODES[code].reason;
}

export function codeForExitCode(exitCode: number): ErrorCode | undefined {
  for (const [code, v] of Object.entries(ERROR_CODES)) if (v.exitCode === exitCode) return code as ErrorCode;
  return undefined;
}
