// Typed errors of the policy layer (retention, policy manifests, ignore rules).
import { CairnError } from '../errors.ts';
import type { CairnErrorOptions } from '../errors.ts';

/** A policy value, time zone, duration or command-line rule given by the caller is invalid. */
export class UsageError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('USAGE', message, options);
  }
}

/** A line of an ignore file in the backup source cannot be parsed (kopia refuses such a directory too). */
export class IgnoreFileError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('SOURCE_ERROR', message, options);
  }
}
