// Errors of the format layer: what can go wrong finding, unlocking, creating or rewriting a repository.
import { CairnError, type CairnErrorOptions } from '../errors.ts';

export class RepositoryNotFoundError extends CairnError {
  constructor(where: string, options: CairnErrorOptions = {}) {
    super('REPO_NOT_FOUND', `no repository at ${where} (kopia.repository is missing)`, {
      hint: 'create a repository there first, or fix the repository URL',
      ...options,
    });
  }
}

export class RepositoryExistsError extends CairnError {
  constructor(where: string, blobId: string, options: CairnErrorOptions = {}) {
    super('REPO_EXISTS', `a repository already exists at ${where} (${blobId} is present)`, {
      hint: 'connect to the existing repository, or choose an empty location for a new one',
      ...options,
    });
  }
}

export class WrongPasswordError extends CairnError {
  constructor(where: string, blobId: string, options: CairnErrorOptions = {}) {
    super('WRONG_PASSWORD', `the password does not unlock ${blobId} at ${where}`, {
      hint: 'check the repository password (it is case-sensitive and includes trailing spaces)',
      ...options,
    });
  }
}

/** An invalid creation option, named with the values that would be accepted. */
export class InvalidFormatOptionError extends CairnError {
  readonly option: string;
  constructor(option: string, message: string, hint: string) {
    super('USAGE', `${option}: ${message}`, { hint });
    this.option = option;
  }
}

/** Kopia's upgrade lock is set: every other client must stay away until the upgrade finishes. */
export class UpgradeInProgressError extends CairnError {
  constructor(where: string, owner: string, message: string) {
    super('REFUSED', `the repository at ${where} is locked for a kopia format upgrade by "${owner}"${message === '' ? '' : `: ${message}`}`, {
      hint: 'wait until `kopia repository upgrade` finishes (or is rolled back), then retry',
      retryable: true,
    });
  }
}
