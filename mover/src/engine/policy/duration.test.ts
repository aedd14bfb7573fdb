import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDuration, parseDuration } from './duration.ts';

describe('durations', () => {
  it('parses unit sequences and Go-style durations', () => {
    expect(parseDuration('36h')).toBe(36 * 3_600_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('1w2d')).toBe(9 * 86_400_000);
    expect(parseDuration('168h0m0s')).toBe(7 * 86_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration(' 0 ')).toBe(0);
  });

  it.each(['', '7', 'd', '7 d', '1y', '1mo', '-1d', '1d-', 'soon'])('rejects %j', (text) => {
    expect(() => parseDuration(text, '--keep-within')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('--keep-within') }));
  });

  it('formats canonically and round-trips', () => {
    expect(formatDuration(0)).toBe('0');
    expect(formatDuration(9 * 86_400_000 + 3_600_000 + 1)).toBe('1w2d1h1ms');
    expect(() => formatDuration(-1)).toThrow(/non-negative/);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });
});
