import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.ts';
import type { ManifestRecord } from './manifest-codec.ts';
import { decodeManifestContent, decodeManifestDocument, encodeManifestContent, encodeManifestDocument } from './manifest-codec.ts';

const live: ManifestRecord = {
  id: '0123456789abcdef0123456789abcdef',
  labels: { username: 'u', type: 'snapshot', hostname: 'h', path: '/p&q' },
  modified: '2025-03-11T10:07:36.123456789Z',
  modifiedNs: 1741687656123456789n,
  deleted: false,
  data: '{"id":"","source":{"host":"h"}}',
};
const tombstone: ManifestRecord = {
  id: 'fedcba9876543210fedcba9876543210', labels: null, modified: '2025-03-11T10:07:37Z',
  modifiedNs: 1741687657000000000n, deleted: true, data: null,
};

describe('manifest content codec', () => {
  it('golden: encodes entries as kopia\'s Go encoder does', () => {
    expect(encodeManifestDocument([live, tombstone])).toBe(
      '{"entries":[{"id":"0123456789abcdef0123456789abcdef","labels":{"hostname":"h","path":"/p\\u0026q","type":"snapshot","username":"u"},' +
      '"modified":"2025-03-11T10:07:36.123456789Z","data":{"id":"","source":{"host":"h"}}},' +
      '{"id":"fedcba9876543210fedcba9876543210","labels":null,"modified":"2025-03-11T10:07:37Z","deleted":true,"data":null}]}\n',
    );
    expect(gunzipSync(encodeManifestContent([live])).toString()).toBe(encodeManifestDocument([live]));
  });

  it('round-trips', () => {
    expect(decodeManifestContent(encodeManifestContent([live, tombstone]), 'm1')).toEqual([live, tombstone]);
  });

  it('reads leniently like Go: whitespace, unknown fields, key case; keeps the raw payload bytes', () => {
    const doc = `{ "other": [1, {"x": "}"}],
      "Entries": [ { "ID": "a1", "Labels": {"type": "policy"}, "extra": {"n": [1,2]},
                     "Modified": "2025-03-11T12:07:36+02:00", "Data": {"keep" : "as is",  "s": "a\\"}b"} } ] }`;
    const [r] = decodeManifestDocument(doc, 'm2');
    expect(r).toEqual({
      id: 'a1', labels: { type: 'policy' }, modified: '2025-03-11T12:07:36+02:00', modifiedNs: 1741687656000000000n,
      deleted: false, data: '{"keep" : "as is",  "s": "a\\"}b"}',
    });
    expect(decodeManifestDocument('{"entries":null}', 'm3')).toEqual([]);
    expect(decodeManifestDocument('{}', 'm3')).toEqual([]);
  });

  it('rejects damaged contents with CorruptionError naming the content', () => {
    const bad = [
      '{"entries":[{"id":"a","labels":{},"modified":"2025-03-11T10:07:36Z","data":{}}', // truncated
      '{"entries":[{"labels":{},"modified":"2025-03-11T10:07:36Z","data":{}}]}', // no id
      '{"entries":[{"id":"a","labels":{"type":1},"modified":"2025-03-11T10:07:36Z"}]}',
      '{"entries":[{"id":"a","labels":{},"modified":"soon"}]}',
      '{"entries":[{"id":"a","labels":{},"modified":"2025-03-11T10:07:36Z","deleted":"yes"}]}',
      '{"entries":[] "x":1}',
    ];
    for (const text of bad) {
      expect(() => decodeManifestContent(gzipSync(text), 'mbadcontent')).toThrow(CorruptionError);
      expect(() => decodeManifestContent(gzipSync(text), 'mbadcontent')).toThrow(/mbadcontent/);
    }
    expect(() => decodeManifestContent(Buffer.from('not gzip'), 'mx')).toThrow(CorruptionError);
  });
});
