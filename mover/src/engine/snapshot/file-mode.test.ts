import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatKopiaMode, goModeToPosix, parseKopiaMode, posixToGoMode } from './file-mode.ts';

describe('kopia mode strings', () => {
  it('uses Go FileMode bit positions for the special bits', () => {
    expect(formatKopiaMode(0o755)).toBe('0755');
    expect(formatKopiaMode(0o4755)).toBe('040000755');
    expect(formatKopiaMode(0o2755)).toBe('020000755');
    expect(formatKopiaMode(0o1777)).toBe('04000777');
    expect(formatKopiaMode(0o7000)).toBe('064000000');
    expect(formatKopiaMode(0)).toBe('');
  });

  it('ignores file type bits of st_mode', () => {
    expect(posixToGoMode(0o100644)).toBe(0o644);
    expect(posixToGoMode(0o41777)).toBe(0o4000777);
  });

  it('parses what Go strconv.ParseInt(s, 0, 32) accepts', () => {
    expect(parseKopiaMode('0755')).toBe(0o755);
    expect(parseKopiaMode('040000755')).toBe(0o4755);
    expect(parseKopiaMode('0x1ed')).toBe(0o755);
    expect(parseKopiaMode('0o755')).toBe(0o755);
    expect(parseKopiaMode('493')).toBe(0o755);
    expect(parseKopiaMode('0')).toBe(0);
    expect(parseKopiaMode('0789')).toBeUndefined();
    expect(parseKopiaMode('rwx')).toBeUndefined();
    expect(parseKopiaMode('')).toBeUndefined();
  });

  it('reads "0" and octal digits the way the full parse does, up to and past int32', () => {
    // Go's strconv.ParseInt(s, 0, 32) for a leading "0" and octal digits, as the full parse reads it
    const reference = (text: string): number | undefined => {
      const v = text.length === 1 ? 0 : parseInt(text.slice(1), 8);
      return v < 2 ** 31 ? goModeToPosix(v) : undefined;
    };
    expect(parseKopiaMode('017777777777')).toBe(reference('017777777777'));
    expect(parseKopiaMode('020000000000')).toBeUndefined();
    expect(parseKopiaMode('00')).toBe(0);
    expect(parseKopiaMode('0755 ')).toBeUndefined();
    fc.assert(
      fc.property(fc.stringMatching(/^0[0-7]{0,13}$/), (text) => {
        expect(parseKopiaMode(text)).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every POSIX permission value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0o7777 }), (m) => {
        expect(parseKopiaMode(formatKopiaMode(m))).toBe(m);
        expect(goModeToPosix(posixToGoMode(m))).toBe(m);
      }),
    );
  });
});
