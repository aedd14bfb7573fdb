// Which requests skip the payload hash: data uploads over HTTPS only, never over HTTP, never other commands,
// and never when a hash header is already there.
import { describe, expect, it } from 'vitest';
import { markUnsignedPayload, UNSIGNED_PAYLOAD } from './s3-unsigned-payload.ts';

const request = (protocol: string, headers: Record<string, string> = {}) => ({ protocol, headers, body: Buffer.alloc(8) });

describe('markUnsignedPayload', () => {
  it('marks PutObject and UploadPart over HTTPS', () => {
    for (const command of ['PutObjectCommand', 'UploadPartCommand']) {
      const r = request('https:');
      expect(markUnsignedPayload(command, r)).toBe(true);
      expect(r.headers['x-amz-content-sha256']).toBe(UNSIGNED_PAYLOAD);
    }
  });

  it('leaves plain HTTP, other commands, a present hash header and odd shapes alone', () => {
    const http = request('http:');
    expect(markUnsignedPayload('PutObjectCommand', http)).toBe(false);
    expect(http.headers).toEqual({});
    const del = request('https:');
    expect(markUnsignedPayload('DeleteObjectsCommand', del)).toBe(false);
    expect(del.headers).toEqual({});
    const signed = request('https:', { 'X-Amz-Content-Sha256': 'abc' });
    expect(markUnsignedPayload('PutObjectCommand', signed)).toBe(false);
    expect(signed.headers).toEqual({ 'X-Amz-Content-Sha256': 'abc' });
    expect(markUnsignedPayload('PutObjectCommand', undefined)).toBe(false);
    expect(markUnsignedPayload(undefined, request('https:'))).toBe(false);
    expect(markUnsignedPayload('PutObjectCommand', { protocol: 'https:' })).toBe(false);
  });
});
