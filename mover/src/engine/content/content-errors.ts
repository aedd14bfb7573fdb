// Errors specific to the content layer. Integrity failures use CorruptionError and missing contents
// NotFoundError (engine/errors.ts); these add the cases that have their own meaning.
import { CairnError, type CairnErrorOptions } from '../errors.ts';
import type { ErrorCode } from '../../contract/error-codes.ts';

/** A string that is not a kopia content ID (optional prefix g..z followed by an even number of hex digits). */
export class InvalidContentIdError extends CairnError {
  readonly contentId: string;
  constructor(contentId: string, reason: string, options: CairnErrorOptions & { readonly code?: ErrorCode } = {}) {
    super(options.code ?? 'CORRUPT', `invalid content ID "${contentId}": ${reason}`, {
      hint: 'a content ID is an optional letter g..z followed by an even number of lowercase hex digits',
      ...options,
    });
    this.contentId = contentId;
  }
}

/** An index blob was written more than two epochs late (kopia's ErrVerySlowIndexWrite); it was removed again. */
export class SlowIndexWriteError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('REFUSED', message, {
      hint: 'the write took longer than two index epochs; run the backup again (its packs will be rewritten)',
      retryable: true,
      ...options,
    });
  }
}
