import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors.ts';
import { fromErrorRecord, toErrorRecord } from './error-record.ts';

describe('error records', () => {
  it('carry code, hint and retryable through a structured clone and rebuild the same typed error', () => {
    const e = new CairnError('UNREACHABLE', 'storage is down', { hint: 'retry later', retryable: true });
    const back = fromErrorRecord(structuredClone(toErrorRecord(e)), 'pack p1: ');
    expect(back).toBeInstanceOf(CairnError);
    expect(back).toMatchObject({ code: 'UNREACHABLE', hint: 'retry later', retryable: true, message: 'pack p1: storage is down' });
  });

  it('turn anything that is not a CairnError into INTERNAL with its message', () => {
    expect(fromErrorRecord(toErrorRecord(new TypeError('x is undefined')))).toMatchObject({ code: 'INTERNAL', message: 'x is undefined' });
    expect(toErrorRecord('boom')).toMatchObject({ code: 'INTERNAL', message: 'boom', retryable: false });
  });
});
