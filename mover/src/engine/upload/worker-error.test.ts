// Typed errors survive the thread boundary: what a worker caught is rebuilt on the main thread with the same
// code, hint and retryable flag (and class for the engine's own subclasses); anything else is a bug and
// surfaces as INTERNAL with its message.
import { describe, expect, it } from 'vitest';
import { CairnError, CorruptionError, NotFoundError, UnsupportedError } from '../errors.ts';
import { fromWorkerError, toWorkerError } from './worker-error.ts';

/** What the main thread gets for an error thrown in a worker (through a real structured clone). */
const across = (e: unknown): CairnError => fromWorkerError(structuredClone(toWorkerError(e)));

describe('worker errors', () => {
  it.each([
    ['CORRUPT', new CorruptionError('content abc failed authentication', { hint: 'run verify' }), CorruptionError],
    ['NOT_FOUND', new NotFoundError('pack p1 is missing', { hint: 'check the repository' }), NotFoundError],
    ['UNSUPPORTED', new UnsupportedError('unknown hash algorithm "X"', { hint: 'use the kopia CLI' }), UnsupportedError],
  ] as const)('rebuilds %s as the same class with its hint', (code, error, cls) => {
    const back = across(error);
    expect(back).toBeInstanceOf(cls);
    expect(back).toMatchObject({ code, message: error.message, hint: error.hint, retryable: false });
  });

  it('keeps any other code, the hint and retryable', () => {
    const back = across(new CairnError('UNREACHABLE', 'storage did not answer', { hint: 'check the network', retryable: true }));
    expect(back).toBeInstanceOf(CairnError);
    expect(back).toMatchObject({ code: 'UNREACHABLE', message: 'storage did not answer', hint: 'check the network', retryable: true });
  });

  it('reports a bug in the worker as INTERNAL with its name and message', () => {
    expect(across(new TypeError('x is not a function'))).toMatchObject({ code: 'INTERNAL', message: 'hashing worker: TypeError: x is not a function', retryable: false });
    expect(across('thrown string')).toMatchObject({ code: 'INTERNAL', message: 'hashing worker: string: thrown string' });
  });

  it('does not trust a code it does not know', () => {
    expect(fromWorkerError({ code: 'NOPE' as never, name: 'CairnError', message: 'm', hint: undefined, retryable: false }))
      .toMatchObject({ code: 'INTERNAL', message: 'hashing worker: CairnError: m' });
  });
});
