// A typed error as plain data, for crossing a worker-thread boundary (structured clone keeps neither the
// class nor extra fields of an Error). The worker sends the record, the main thread rebuilds the same
// CairnError — code, hint and retryable intact — so nothing upstream has to guess the kind of a failure.
// Anything that is not a CairnError is a bug and arrives as INTERNAL with its message and stack.
import type { ErrorCode } from '../../contract/error-codes.ts';
import { CairnError, isCairnError } from '../errors.ts';

export interface ErrorRecord {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint?: string | undefined;
  readonly retryable: boolean;
  /** The worker-side stack (shown with --debug through the rebuilt error's cause). */
  readonly stack?: string | undefined;
}

const BUG_HINT = 'This is a bug; rerun with --debug and report it.';

export function toErrorRecord(e: unknown): ErrorRecord {
  if (isCairnError(e)) return { code: e.code, message: e.message, hint: e.hint, retryable: e.retryable, stack: e.stack };
  if (e instanceof Error) return { code: 'INTERNAL', message: e.message, hint: BUG_HINT, retryable: false, stack: e.stack };
  return { code: 'INTERNAL', message: String(e), hint: BUG_HINT, retryable: false };
}

/** The CairnError a record describes; `prefix` is prepended to its message (e.g. the file it concerns). */
export function fromErrorRecord(r: ErrorRecord, prefix = ''): CairnError {
  let cause: Error | undefined;
  if (r.stack !== undefined) {
    cause = new Error(r.message);
    cause.stack = r.stack;
  }
  return new CairnError(r.code, prefix + r.message, {
    retryable: r.retryable,
    ...(r.hint !== undefined ? { hint: r.hint } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}
