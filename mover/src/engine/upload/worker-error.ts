// Errors crossing the hashing workers' thread boundary. Structured clone keeps only an Error's message (a
// CairnError arrives as a plain Error without code, hint or retryable), so the worker sends the typed
// fields and the main thread rebuilds the same typed error. Anything that is not a CairnError is a bug in
// the worker: it surfaces as INTERNAL with its own message.
import { ERROR_CODES, type ErrorCode } from '../../contract/error-codes.ts';
import { CairnError, CorruptionError, isCairnError, NotFoundError, UnsupportedError } from '../errors.ts';

export interface WorkerError {
  /** The CairnError's code; undefined when the worker threw something else (a bug). */
  readonly code: ErrorCode | undefined;
  readonly name: string;
  readonly message: string;
  readonly hint: string | undefined;
  readonly retryable: boolean;
}

/** The cloneable form of what a worker caught. */
export function toWorkerError(e: unknown): WorkerError {
  if (isCairnError(e)) return { code: e.code, name: e.name, message: e.message, hint: e.hint, retryable: e.retryable };
  if (e instanceof Error) return { code: undefined, name: e.name, message: e.message, hint: undefined, retryable: false };
  return { code: undefined, name: typeof e, message: String(e), hint: undefined, retryable: false };
}

/** The typed error a worker reported, as thrown on the main thread. */
export function fromWorkerError(w: WorkerError): CairnError {
  const options = { ...(w.hint !== undefined ? { hint: w.hint } : {}), retryable: w.retryable };
  if (w.code === undefined || !Object.hasOwn(ERROR_CODES, w.code)) {
    return new CairnError('INTERNAL', `hashing worker: ${w.name}: ${w.message}`, options);
  }
  switch (w.code) {
    case 'CORRUPT': return new CorruptionError(w.message, options);
    case 'NOT_FOUND': return new NotFoundError(w.message, options);
    case 'UNSUPPORTED': return new UnsupportedError(w.message, options);
    default: return new CairnError(w.code, w.message, options);
  }
}
