import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DirEntry } from './dir-entry.ts';
import { compareUtf8, decodeDirManifest, encodeDirManifest, summarizeDirectory } from './dir-manifest.ts';

// Three entries of kopia's real listing sample (repo/content/content_manager_test.go dirMetadataContent).
const KOPIA_SAMPLE =
  '{"stream":"kopia:directory","entries":[' +
  '{"name":".chglog","type":"d","mode":"0755","mtime":"2022-03-22T22:45:22.159239913-07:00","uid":501,"gid":20,"obj":"k18c2fa7d9108a2bf0d9d5b8e7993c48d","summ":{"size":1897,"files":2,"symlinks":0,"dirs":1,"maxTime":"2022-03-22T22:45:22.159499411-07:00","numFailed":0}},' +
  '{"name":".DS_Store","type":"f","mode":"0644","size":14340,"mtime":"2022-02-12T20:06:35.60110891-08:00","uid":501,"gid":20,"obj":"d9295958410ae3b73f68033274cd7a8f"},' +
  '{"name":".tmp.unit-tests.json","type":"f","mode":"0644","size":200525943,"mtime":"2022-04-03T10:08:51.453180251-07:00","uid":501,"gid":20,"obj":"Ixf5da1bbcdbc267fa123d93aaf90cbd75"}' +
  '],"summary":{"size":200542180,"files":3,"symlinks":0,"dirs":2,"maxTime":"2022-04-03T10:08:51.453180251-07:00","numFailed":0}}';

function file(name: string, extra: Partial<DirEntry> = {}): DirEntry {
  return { name, type: 'f', mode: 0o644, size: 1, mtime: '2025-01-01T00:00:00Z', uid: 0, gid: 0, obj: 'aa', ...extra };
}

describe('directory listings', () => {
  it('reads kopia listings (local offsets normalized to UTC)', () => {
    const d = decodeDirManifest(Buffer.from(KOPIA_SAMPLE), 'kabc');
    expect(d.entries.map((e) => e.name)).toEqual(['.chglog', '.DS_Store', '.tmp.unit-tests.json']);
    expect(d.entries[0]).toEqual({
      name: '.chglog',
      type: 'd',
      mode: 0o755,
      size: 0,
      mtime: '2022-03-23T05:45:22.159239913Z',
      uid: 501,
      gid: 20,
      obj: 'k18c2fa7d9108a2bf0d9d5b8e7993c48d',
      summ: {
        size: 1897,
        files: 2,
        symlinks: 0,
        dirs: 1,
        maxTime: '2022-03-23T05:45:22.159499411Z',
        incomplete: '',
        numFailed: 0,
        numIgnoredErrors: 0,
        errors: [],
      },
    });
    expect(d.entries[2]!.size).toBe(200525943);
    expect(d.summary?.maxTime).toBe('2022-04-03T17:08:51.453180251Z');
  });

  it('writes the same bytes kopia writes for the UTC form of its sample', () => {
    const utc = KOPIA_SAMPLE.replace(/"(\d{4}-[^"]*?)(-0[78]:00)"/g, (_m, t: string) => {
      const d = decodeDirManifest(Buffer.from(`{"stream":"kopia:directory","entries":[{"mtime":"${t}${_m.slice(-7, -1)}","obj":""}]}`), 'x');
      return `"${d.entries[0]!.mtime}"`;
    });
    const d = decodeDirManifest(Buffer.from(KOPIA_SAMPLE), 'kabc');
    expect(encodeDirManifest(d.entries, d.summary).toString()).toBe(utc + '\n');
  });

  it('sorts directories first, then names in UTF-8 byte order (not UTF-16 order)', () => {
    const entries = [file('\uffff'), file('\u{1F600}'), file('b'), file('a', { type: 'd', obj: 'k1' }), file('B'), file('z', { type: 's' })];
    const out = decodeDirManifest(encodeDirManifest(entries, undefined), 'k');
    expect(out.entries.map((e) => e.name)).toEqual(['a', 'B', 'b', 'z', '\uffff', '\u{1F600}']);
  });

  it('compareUtf8 agrees with Buffer.compare of the UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      }),
    );
  });

  it('omits zero fields, escapes like Go, ends with a newline', () => {
    const text = encodeDirManifest([file('<&>', { size: 0, mode: 0, mtime: '1970-01-01T00:00:00Z', obj: '' })], undefined).toString();
    expect(text).toBe('{"stream":"kopia:directory","entries":[{"name":"\\u003c\\u0026\\u003e","type":"f","obj":""}],"summary":null}\n');
  });

  it('round-trips entries with special modes, owners and ns times', () => {
    const entries = [
      file('suid', { mode: 0o4755, uid: 1000, gid: 1001, mtime: '2025-03-11T10:07:36.000000001Z' }),
      file('dir with space', { type: 'd', mode: 0o3777, obj: 'kdd', summ: summarizeDirectory([], { dirMtime: '2025-01-02T00:00:00Z' }) }),
      file('link', { type: 's', mode: 0o777, obj: 'ee' }),
    ];
    const back = decodeDirManifest(encodeDirManifest(entries, undefined), 'k').entries;
    expect(back).toEqual([entries[1], { ...entries[2], summ: undefined }, { ...entries[0], summ: undefined }]);
  });

  it('summarizes like kopia DirManifestBuilder', () => {
    const sub = summarizeDirectory([file('x', { size: 10, mtime: '2025-06-01T00:00:00Z' })], {
      dirMtime: '2020-01-01T00:00:00Z',
      failed: [{ path: 'sub/bad', error: 'EACCES', ignored: false }],
    });
    expect(sub).toMatchObject({ size: 10, files: 1, dirs: 1, numFailed: 1, maxTime: '2025-06-01T00:00:00Z' });
    const top = summarizeDirectory(
      [file('a', { size: 5 }), file('l', { type: 's' }), file('sub', { type: 'd', summ: sub, mtime: '2019-01-01T00:00:00Z' })],
      { dirMtime: '2020-01-01T00:00:00Z' },
    );
    expect(top).toEqual({
      size: 15,
      files: 2,
      symlinks: 1,
      dirs: 2,
      maxTime: '2025-06-01T00:00:00Z',
      incomplete: '',
      numFailed: 1,
      numIgnoredErrors: 0,
      errors: [{ path: 'sub/bad', error: 'EACCES' }],
    });
    expect(summarizeDirectory([], { dirMtime: '2020-01-01T00:00:00Z' }).maxTime).toBe('2020-01-01T00:00:00Z');
  });

  it('takes the latest instant as maxTime whatever the fraction digits or the offset, and never one before the epoch', () => {
    const max = (...times: string[]): string =>
      summarizeDirectory(times.map((t, i) => file(`f${i}`, { mtime: t })), { dirMtime: '2000-01-01T00:00:00Z' }).maxTime;
    expect(max('2024-01-01T00:00:00.45Z', '2024-01-01T00:00:00.5Z', '2024-01-01T00:00:00.499999999Z')).toBe('2024-01-01T00:00:00.5Z');
    expect(max('2024-01-01T00:00:00.5Z', '2024-01-01T00:00:00.500Z')).toBe('2024-01-01T00:00:00.5Z'); // same instant: the first
    expect(max('2024-01-01T00:00:01Z', '2024-01-01T00:00:00.999999999Z')).toBe('2024-01-01T00:00:01Z');
    expect(max('2030-01-01T01:00:00+02:00', '2029-12-31T23:30:00Z')).toBe('2029-12-31T23:30:00Z');
    expect(max('2029-12-31T23:30:00Z', '2030-01-01T03:00:00+02:00')).toBe('2030-01-01T03:00:00+02:00');
    expect(max('1969-12-31T23:59:59Z')).toBe('1970-01-01T00:00:00Z');
  });

  it("counts the directory's own mtime in maxTime only when asked", () => {
    const entries = [file('a', { mtime: '2024-01-01T00:00:00Z' })];
    expect(summarizeDirectory(entries, { dirMtime: '2030-01-01T00:00:00Z' }).maxTime).toBe('2024-01-01T00:00:00Z');
    expect(summarizeDirectory(entries, { dirMtime: '2030-01-01T00:00:00Z', maxTimeIncludesDirMtime: true }).maxTime).toBe('2030-01-01T00:00:00Z');
    expect(summarizeDirectory(entries, { dirMtime: '2020-01-01T00:00:00Z', maxTimeIncludesDirMtime: true }).maxTime).toBe('2024-01-01T00:00:00Z');
  });

  it("binds keys case-insensitively as Go does, and reads absent (omitempty) fields as zero either way", () => {
    const text = '{"stream":"kopia:directory","entries":[' +
      '{"Name":"a","TYPE":"f","mode":"0644","Size":5,"obj":"aa"},' +
      '{"name":"b","type":"f","mode":"0600","mtime":"2024-01-02T03:04:05.5Z","obj":"bb"}],"summary":null}';
    const [a, b] = decodeDirManifest(Buffer.from(text), 'k1').entries;
    expect(a).toMatchObject({ name: 'a', type: 'f', mode: 0o644, size: 5, uid: 0, gid: 0, obj: 'aa', summ: undefined });
    expect(b).toMatchObject({ name: 'b', type: 'f', mode: 0o600, size: 0, mtime: '2024-01-02T03:04:05.5Z', uid: 0, obj: 'bb', summ: undefined });
  });

  it('rejects other stream types naming the object', () => {
    expect(() => decodeDirManifest(Buffer.from('{"stream":"kopia:indirect","entries":[]}'), 'Ixdead')).toThrow(/Ixdead/);
    expect(() => decodeDirManifest(Buffer.from('not json'), 'kbeef')).toThrow(expect.objectContaining({ code: 'CORRUPT' }));
    expect(() => decodeDirManifest(Buffer.from('{"stream":"kopia:directory","entries":[{"mode":"9x"}]}'), 'kc')).toThrow(/kc.*mode/);
  });

  it('rejects a listing that holds one name twice (CORRUPT, not a restore-target problem)', () => {
    const dup = '{"stream":"kopia:directory","entries":[{"name":"a","type":"d","obj":"k01"},{"name":"a","type":"f","obj":"02"}]}';
    expect(() => decodeDirManifest(Buffer.from(dup), 'kd')).toThrow(expect.objectContaining({ code: 'CORRUPT', message: expect.stringMatching(/kd: the name "a" appears more than once/) }));
  });
});
