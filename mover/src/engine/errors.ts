// Typed errors for the whole engine. Callers branch on `code`, never on message text; the CLI maps the code
// to an exit code and the operator to a condition reason (mover/src/contract/error-codes.ts).
import type { ErrorCode } from '../contract/error-codes.ts';

export interface CairnErrorOptions {
  readonly hint?: string;
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class CairnError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, in one sentence. */
  readonly hint: string | undefined;
  /** True when repeating the same call may succeed (throttling, outage). */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: CairnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
  }
}

export function isCairnError(e: unknown): e is CairnError {
  return e instanceof CairnError;
}

/** A blob, content, object or snapshot that should exist does not. */
export class NotFoundError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('NOT_FOUND', message, options);
  }
}

/**
 * The caller's input is invalid: a command-line flag or argument, a policy value, a time zone, a duration,
 * an ignore rule given on the command line. The message names what is wrong, the hint what to give instead.
 */
export class UsageError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('USAGE', message, options);
  }
}

/** Data failed authentication or parsing: a flipped byte, a truncated blob, a malformed structure. */
export class CorruptionError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('CORRUPT', message, options);
  }
}

/** The repository uses an algorithm or feature this build cannot handle. */
export class UnsupportedError extends CairnError {
  constructor(message: string, options: CairnErrorOptions = {}) {
    super('UNSUPPORTED', message, options);
  }
}
