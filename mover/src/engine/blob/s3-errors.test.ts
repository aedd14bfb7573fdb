import { describe, expect, it } from 'vitest';
import { mapS3Error, type S3ErrorContext } from './s3-errors.ts';

const ctx = (op: S3ErrorContext['op']): S3ErrorContext => ({ op, bucket: 'bkt', id: 'p123', where: 's3://bkt/pre/ at http://127.0.0.1:9000' });

/** Shapes like the AWS SDK's S3ServiceException. */
function sdkError(name: string, status?: number): Error {
  return Object.assign(new Error(`sdk says ${name}`), {
    name,
    $fault: status !== undefined && status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'REQ1' },
  });
}

describe('mapS3Error', () => {
  it.each([
    ['InvalidAccessKeyId', 403, 'AUTH_FAILED', false],
    ['SignatureDoesNotMatch', 403, 'AUTH_FAILED', false],
    ['ExpiredToken', 400, 'AUTH_FAILED', false],
    ['CredentialsProviderError', undefined, 'AUTH_FAILED', false],
    ['RequestTimeTooSkewed', 403, 'AUTH_FAILED', false],
    ['NoSuchBucket', 404, 'BUCKET_NOT_FOUND', false],
    ['NoSuchKey', 404, 'NOT_FOUND', false],
    ['AccessDenied', 403, 'STORAGE_PERMISSION', false],
    ['SlowDown', 503, 'UNREACHABLE', true],
    ['InternalError', 500, 'UNREACHABLE', true],
    ['SomethingNew', 502, 'UNREACHABLE', true],
    ['TooManyRequests', 429, 'UNREACHABLE', true],
    ['TimeoutError', undefined, 'UNREACHABLE', true],
    ['InvalidRange', 416, 'CORRUPT', false],
    ['PermanentRedirect', 301, 'USAGE', false],
    ['Weird', 400, 'INTERNAL', false],
  ] as const)('%s (HTTP %s) on get -> %s, retryable %s', (name, status, code, retryable) => {
    const e = mapS3Error(sdkError(name, status), ctx('get'));
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
  });

  it('maps network errno codes to retryable StorageUnavailableError', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH']) {
      const e = mapS3Error(Object.assign(new Error('connect failed'), { code }), ctx('list'));
      expect(e.code).toBe('UNREACHABLE');
      expect(e.retryable).toBe(true);
      expect(e.message).toContain('s3://bkt/pre/');
    }
  });

  it('TLS verification failures are not retried and point at the CA option', () => {
    const e = mapS3Error(Object.assign(new Error('self signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), ctx('get'));
    expect(e.retryable).toBe(false);
    expect(e.hint).toContain('ca=');
  });

  it('AccessDenied on delete is DeleteNotPermittedError (append-only credentials)', () => {
    expect(mapS3Error(sdkError('AccessDenied', 403), ctx('delete')).code).toBe('APPEND_ONLY');
  });

  it('a HEAD 404 (no error body) is a missing blob; 412 on put is an existing blob', () => {
    expect(mapS3Error(sdkError('NotFound', 404), ctx('stat')).code).toBe('NOT_FOUND');
    expect(mapS3Error(sdkError('PreconditionFailed', 412), ctx('put')).code).toBe('REPO_EXISTS');
  });

  it('does not carry the SDK error (with its request details) as the cause, only a summary', () => {
    const e = mapS3Error(sdkError('InvalidAccessKeyId', 403), ctx('get'));
    expect(e.cause).toBeInstanceOf(Error);
    expect((e.cause as Error).message).toBe('InvalidAccessKeyId (HTTP 403, request REQ1)');
    expect(e.message).not.toContain('sdk says');
  });
});
