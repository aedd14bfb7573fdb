import { HttpRequest } from '@smithy/core/protocols';
import { describe, expect, it } from 'vitest';
import { LARGE_RANGE_BYTES, requestedRangeBytes, S3HttpHandler } from './s3-http-handler.ts';

describe('requestedRangeBytes', () => {
  it('measures a closed byte range and nothing else', () => {
    expect(requestedRangeBytes('bytes=0-0')).toBe(1);
    expect(requestedRangeBytes('bytes=10-1048585')).toBe(1_048_576);
    expect(requestedRangeBytes(undefined)).toBeUndefined();
    expect(requestedRangeBytes('bytes=10-')).toBeUndefined();
    expect(requestedRangeBytes('bytes=-500')).toBeUndefined();
    expect(requestedRangeBytes('bytes=0-1,5-9')).toBeUndefined();
    expect(requestedRangeBytes('bytes=9-5')).toBeUndefined();
    expect(requestedRangeBytes('bytes=0-99999999999999999999')).toBeUndefined();
  });
});

describe('S3HttpHandler.readsLargeRange', () => {
  const request = (method: string, headers: Record<string, string>): HttpRequest =>
    new HttpRequest({ method, protocol: 'http:', hostname: '127.0.0.1', port: 9000, path: '/b/k', headers });
  it('sends GETs of at least a MiB by range through undici, the rest through Node http', () => {
    expect(S3HttpHandler.readsLargeRange(request('GET', { range: `bytes=0-${LARGE_RANGE_BYTES - 1}` }))).toBe(true);
    expect(S3HttpHandler.readsLargeRange(request('GET', { Range: `bytes=5-${LARGE_RANGE_BYTES + 4}` }))).toBe(true);
    expect(S3HttpHandler.readsLargeRange(request('GET', { range: `bytes=0-${LARGE_RANGE_BYTES - 2}` }))).toBe(false);
    expect(S3HttpHandler.readsLargeRange(request('GET', {}))).toBe(false);
    expect(S3HttpHandler.readsLargeRange(request('PUT', { range: 'bytes=0-99999999' }))).toBe(false);
    expect(S3HttpHandler.readsLargeRange(request('HEAD', { range: 'bytes=0-99999999' }))).toBe(false);
  });
});
