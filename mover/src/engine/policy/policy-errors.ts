// Typed errors of the policy layer (ignore files); invalid caller input is the engine's UsageError (errors.ts).
import { CairnError } from '../errors.ts';
import type { CairnErrorOptions } from '../errors.ts';

/** A line of an ignore file in the backup source cannot be parsed (kopia refuses such a directory too). */
export class IgnoreFileError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('SOURCE_ERROR', message, options);
  }
}
