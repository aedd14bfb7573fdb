// Durations for keep-within: "90m", "36h", "7d", "2w", "1d12h", also Go-style "168h0m0s". Units: ms, s, m, h,
// d (24 h), w (7 d). Calendar units (months, years) are refused because their length depends on the date.
import { UsageError } from '../errors.ts';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/** Milliseconds of a duration string; throws UsageError naming `what` on malformed input. */
export function parseDuration(text: string, what = 'duration'): number {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') throw invalid(text, what);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (m === null || m.index !== start) throw invalid(text, what);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) throw invalid(text, what);
  return ms;
}

/** Canonical, parseable text of a duration in milliseconds: largest units first ("1w2d3h", "90s", "0"). */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new UsageError(`duration ${ms} ms is not a non-negative whole number of milliseconds`, {
      hint: 'Durations are whole, non-negative milliseconds.',
    });
  }
  if (ms === 0) return '0';
  let rest = ms;
  let text = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) {
      text += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return text;
}

function invalid(text: string, what: string): UsageError {
  return new UsageError(`${what} "${text}" is not a duration`, {
    hint: 'Write durations like 36h, 7d, 2w or 1d12h (units ms, s, m, h, d, w).',
  });
}
