import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { futimesSync, lstatSync, lutimesSync, openSync, closeSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { formatRfc3339Nano } from '../snapshot/snapshot-json.ts';
import { utimeArg } from './utime-arg.ts';

let dir: string;
let fd: number;
let link: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-utime-'));
  fd = openSync(join(dir, 'f'), 'w');
  link = join(dir, 'l');
  symlinkSync('f', link);
});

afterAll(async () => {
  closeSync(fd);
  await rm(dir, { recursive: true, force: true });
});

/** Sets the stored time on a real file and a real symlink; returns what the filesystem then holds (ns). */
function roundTrip(ns: bigint): [bigint, bigint] {
  const arg = utimeArg(formatRfc3339Nano(ns));
  futimesSync(fd, arg, arg);
  lutimesSync(link, arg, arg);
  const { mtimeNs } = lstatSync(join(dir, 'f'), { bigint: true });
  return [mtimeNs, lstatSync(link, { bigint: true }).mtimeNs];
}

const truncMicros = (ns: bigint): bigint => ns - (((ns % 1000n) + 1000n) % 1000n);

describe('utimeArg', () => {
  it('sets times before 1970 (Node would silently use "now" for a negative number), after 2038, and on the epoch', () => {
    for (const t of ['1960-05-04T03:02:01.123456Z', '1969-12-31T23:59:59.999999999Z', '1901-12-13T20:45:53.000001Z',
      '1970-01-01T00:00:00Z', '2038-01-19T03:14:08.000001Z', '2100-02-28T23:59:59.999999Z', '2021-06-01T12:34:56.999999789Z']) {
      const ns = BigInt(Date.parse(t.replace(/\.\d+Z$/, 'Z'))) * 1_000_000n + BigInt((t.match(/\.(\d+)Z/)?.[1] ?? '').padEnd(9, '0') || '0');
      expect(roundTrip(ns).map((v) => formatRfc3339Nano(v))).toEqual([formatRfc3339Nano(truncMicros(ns)), formatRfc3339Nano(truncMicros(ns))]);
    }
  });

  it('is exact to the microsecond from 1901 to 2106 (property)', () => {
    // ext4 itself rounds times within the first second of its range (-2^31 s) down to it.
    const lo = -(2n ** 31n - 1n) * 1_000_000_000n;
    const hi = 2n ** 32n * 1_000_000_000n - 1n;
    fc.assert(fc.property(fc.bigInt(lo, hi), (ns) => {
      const [file, symlink] = roundTrip(ns);
      expect(file).toBe(truncMicros(ns));
      expect(symlink).toBe(truncMicros(ns));
    }), { numRuns: 2000, seed: 8 });
  });
});
