import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.ts';
import { buildIndirectObject, entriesFromChunks, parseIndirectObject } from './indirect-object.ts';

const A = '13ea27f9ad891ad4a2edfa983906863d';
const B = 'e8ca8327cd3af5f4edbd5ed1009c525e';

describe('indirect object JSON', () => {
  it('is byte-identical to Go json.Encoder output (s and l omitted when 0, trailing newline)', () => {
    const bytes = buildIndirectObject([
      { start: 0, length: 1698099, objectId: A },
      { start: 1698099, length: 1302081, objectId: 'D' + B },
      { start: 3000180, length: 0, objectId: `Ix${A}` },
    ]);
    expect(bytes.toString('utf8')).toBe(
      `{"stream":"kopia:indirect","entries":[{"l":1698099,"o":"${A}"},{"s":1698099,"l":1302081,"o":"${B}"},{"s":3000180,"o":"Ix${A}"}]}\n`,
    );
  });

  it('builds contiguous entries from chunk lengths', () => {
    expect(entriesFromChunks([{ length: 5, objectId: A }, { length: 7, objectId: B }])).toEqual([
      { start: 0, length: 5, objectId: A }, { start: 5, length: 7, objectId: B },
    ]);
  });

  it('parses what it builds, and kopia\'s legacy D prefixes', () => {
    const entries = [{ start: 0, length: 10, objectId: A }, { start: 10, length: 3, objectId: B }];
    expect(parseIndirectObject(buildIndirectObject(entries), 'x1')).toEqual(entries);
    const legacy = `{"stream":"kopia:indirect","entries":[\n{"l":4,"o":"D${A}"},\n{"s":4,"l":2,"o":"D${B}"}\n]}`;
    expect(parseIndirectObject(Buffer.from(legacy), 'x1')).toEqual([
      { start: 0, length: 4, objectId: A }, { start: 4, length: 2, objectId: B },
    ]);
  });

  it('matches keys case-insensitively like Go', () => {
    const doc = `{"Entries":[{"L":4,"O":"${A}"},{"S":4,"L":1,"O":"${B}"}]}`;
    expect(parseIndirectObject(Buffer.from(doc), 'x1')).toHaveLength(2);
  });

  it('rejects malformed indexes with CorruptionError naming the object', () => {
    const bad = [
      'not json', '[]', '{"entries":[]}', '{"entries":[{"l":4}]}', `{"entries":[{"l":-1,"o":"${A}"}]}`,
      `{"entries":[{"l":4,"o":"${A}"},{"s":5,"l":1,"o":"${B}"}]}`, `{"entries":[{"l":4,"o":"zz"}]}`,
    ];
    for (const text of bad) {
      expect(() => parseIndirectObject(Buffer.from(text), 'Ixdeadbeef')).toThrow(CorruptionError);
      expect(() => parseIndirectObject(Buffer.from(text), 'Ixdeadbeef')).toThrow(/deadbeef/);
    }
  });
});
