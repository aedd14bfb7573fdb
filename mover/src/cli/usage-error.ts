// A bad command line: names the flag or argument and what to do instead.
import { CairnError } from '../engine/errors.ts';

export class UsageError extends CairnError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, hint === undefined ? {} : { hint });
  }
}
