// One ignore pattern in .gitignore syntax with kopia's exact matching behaviour (kopia internal/wcmatch, a
// port of git's wildmatch): `*` and `?` stay inside one path segment, `**` spans segments, `[...]` sets with
// ranges, `!` negation and POSIX classes, `\` escapes, a trailing `/` matches directories only, a leading `/`
// anchors the pattern at its base directory, a pattern without a slash matches at any depth, one with a
// slash in the middle is anchored. Paths are matched as "/dir/sub/name" relative to the backup root.
//
// kopia quirks reproduced on purpose (so a tree gives the same file set under both tools):
// - `*` followed by more pattern may swallow one '/' when the rest matches right after it ("/*b" matches
//   "/a/b"), an off-by-one in kopia's wildmatch loop that git does not have;
// - a `[[:class:]]` only parses as a class near the start of the pattern (otherwise it is a literal set);
// - trailing white space is kept when the byte before the last is a backslash, and "**" only counts as
//   the recursive wildcard at the start of a pattern or as a whole segment.
import { UsageError } from '../errors.ts';

type SetItem = { readonly lo: number; readonly hi: number } | { readonly test: (cp: number) => boolean };

type Token =
  | { readonly kind: 'char'; readonly cp: number }
  | { readonly kind: 'sep' }
  | { readonly kind: 'any' }
  | { readonly kind: 'star'; readonly recursive: boolean }
  | { readonly kind: 'set'; readonly items: readonly SetItem[]; readonly negated: boolean };

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const NONE = 0; // "no character": past either end, as kopia's scanner reports it

const MATCH = 0;
const NO_MATCH = 1;
const ABORT_ALL = 2;
const ABORT_TO_RECURSIVE = 3;
type Outcome = typeof MATCH | typeof NO_MATCH | typeof ABORT_ALL | typeof ABORT_TO_RECURSIVE;

const classTest = (re: RegExp) => (cp: number): boolean => re.test(String.fromCodePoint(cp));
const CLASSES: Readonly<Record<string, (cp: number) => boolean>> = {
  alnum: classTest(/^[\p{L}\p{Nd}]$/u),
  alpha: classTest(/^\p{L}$/u),
  ascii: (cp) => cp <= 127,
  blank: (cp) => cp === 9 || classTest(/^\p{Zs}$/u)(cp),
  cntrl: classTest(/^\p{Cc}$/u),
  digit: classTest(/^\p{Nd}$/u),
  graph: classTest(/^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u),
  lower: classTest(/^\p{Ll}$/u),
  print: (cp) => cp === 0x20 || classTest(/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u)(cp),
  punct: classTest(/^[\p{P}\p{S}]$/u),
  space: classTest(/^\p{White_Space}$/u),
  upper: classTest(/^\p{Lu}$/u),
  xdigit: (cp) => (cp >= 0x41 && cp <= 0x46) || (cp >= 0x61 && cp <= 0x66) || classTest(/^\p{Nd}$/u)(cp),
};

const isSpace = classTest(/^\p{White_Space}$/u);

/** A cursor over code points; reads outside the text yield NONE and do not move. */
class Cursor {
  pos: number;
  cps: readonly number[];
  readonly start: number;
  constructor(cps: readonly number[], pos: number, start = 0) {
    this.cps = cps;
    this.pos = pos;
    this.start = start;
  }
  peek(offset = 0): number {
    const i = this.pos + offset;
    return i >= this.start && i < this.cps.length ? this.cps[i]! : NONE;
  }
  next(): number {
    const c = this.peek();
    if (c !== NONE) this.pos++;
    return c;
  }
  atEnd(): boolean {
    return this.pos >= this.cps.length;
  }
  /** Distance from the cursor to the next `cp`, or -1. */
  distanceTo(cp: number): number {
    if (this.atEnd()) return -1;
    for (let i = this.pos; i < this.cps.length; i++) if (this.cps[i] === cp) return i - this.pos;
    return -1;
  }
}

export class WildcardPattern {
  /** The pattern as written (after kopia's white-space trimming). */
  readonly pattern: string;
  readonly negated: boolean;
  readonly dirOnly: boolean;
  readonly #tokens: readonly Token[];

  /**
   * Compiles `pattern`; `baseDir` ("" for the root, else "/dir/sub") is the directory the rule came from.
   * Throws UsageError for malformed patterns (unterminated `[`, dangling `\`, unknown class).
   */
  constructor(pattern: string, baseDir = '') {
    const bytes = Buffer.from(pattern, 'utf8');
    if (bytes.length > 2 && bytes[bytes.length - 2] !== BACKSLASH) pattern = trimSpace(pattern);
    if (baseDir.length > 1 && baseDir.endsWith('/')) baseDir = baseDir.slice(0, -1);
    this.pattern = pattern;
    let cps = Array.from(pattern, (c) => c.codePointAt(0)!);
    const p = new Cursor(cps, 0);
    while (p.peek() !== NONE && isSpace(p.peek())) p.next();
    this.negated = p.peek() === 0x21; // '!'
    if (this.negated) p.next();
    const rooted = p.peek() === SLASH;
    const tokens: Token[] = [];

    if (baseDir !== '' && pattern !== '') {
      for (const c of baseDir) tokens.push(c === '/' ? { kind: 'sep' } : { kind: 'char', cp: c.codePointAt(0)! });
      if (!rooted) tokens.push({ kind: 'sep' });
    }
    if (!rooted && pattern !== '**' && pattern !== '') {
      const slash = p.distanceTo(SLASH);
      if (slash === -1 || slash === cps.length - 1 - p.pos) tokens.push({ kind: 'star', recursive: true }, { kind: 'sep' });
      else if (baseDir === '') tokens.push({ kind: 'sep' });
    }
    this.dirOnly = cps.length > 0 && cps[cps.length - 1] === SLASH;
    if (this.dirOnly) {
      cps = cps.slice(0, -1);
      p.cps = cps;
    }

    for (let ch = p.next(); ch !== NONE; ch = p.next()) {
      switch (ch) {
        case BACKSLASH:
          if (p.atEnd()) throw badPattern(pattern, 'ends with "\\"; write "\\\\" for a literal backslash');
          tokens.push({ kind: 'char', cp: p.next() });
          break;
        case 0x3f: // '?'
          tokens.push({ kind: 'any' });
          break;
        case SLASH:
          tokens.push({ kind: 'sep' });
          break;
        case 0x2a: { // '*'
          if (p.peek() === 0x2a) {
            const before = p.peek(-2);
            while (p.peek() === 0x2a) p.next();
            if (before === NONE || (before === SLASH && (p.peek() === SLASH || p.atEnd()))) {
              tokens.push({ kind: 'star', recursive: true });
              break;
            }
          }
          tokens.push({ kind: 'star', recursive: false });
          break;
        }
        case 0x5b: // '['
          tokens.push(parseSet(p, pattern));
          break;
        default:
          tokens.push({ kind: 'char', cp: ch });
      }
    }
    this.#tokens = tokens;
  }

  /** Whether the rule applies: a match for a plain rule, a non-match for a `!` rule (kopia Match). */
  match(path: string, isDir: boolean): boolean {
    if (this.dirOnly && !isDir) return this.negated;
    const text = Array.from(path, (c) => c.codePointAt(0)!);
    return (matchFrom(this.#tokens, 0, text, 0) === MATCH) !== this.negated;
  }
}

function parseSet(p: Cursor, pattern: string): Token {
  let ch = p.next();
  const negated = ch === 0x21;
  if (negated) ch = p.next();
  const items: SetItem[] = [];
  for (; ch !== 0x5d && ch !== NONE; ch = p.next()) {
    if (ch === BACKSLASH) {
      ch = p.next();
      if (ch === NONE) throw badPattern(pattern, 'ends with "\\" inside [...]');
    }
    if (p.peek() === 0x2d && p.peek(1) !== 0x5d && p.peek(1) !== NONE) {
      p.next(); // '-'
      let end = p.next();
      if (end === BACKSLASH) {
        end = p.next();
        if (end === NONE) throw badPattern(pattern, 'ends with "\\" inside [...]');
      }
      items.push({ lo: ch, hi: end });
    } else if (ch === 0x5b && p.peek() === 0x3a) {
      const close = p.distanceTo(0x5d);
      if (close === -1) throw badPattern(pattern, 'has an unterminated [...]');
      // kopia compares the relative distance with the absolute position here; kept for identical results.
      if (close - 1 <= p.pos || p.peek(close - 1) !== 0x3a) {
        items.push({ lo: ch, hi: ch });
        continue;
      }
      const name = String.fromCodePoint(...p.cps.slice(p.pos + 1, p.pos + close - 1)).toLowerCase();
      p.pos += close + 1;
      const test = CLASSES[name];
      if (test === undefined) throw badPattern(pattern, `uses the unknown character class [:${name}:]`);
      items.push({ test });
    } else {
      items.push({ lo: ch, hi: ch });
    }
  }
  if (ch !== 0x5d) throw badPattern(pattern, 'has an unterminated [...]');
  return { kind: 'set', items, negated };
}

function matchFrom(tokens: readonly Token[], first: number, text: readonly number[], start: number): Outcome {
  const t = new Cursor(text, start, start);
  for (let i = first; i < tokens.length; i++, t.next()) {
    const tok = tokens[i]!;
    let c = t.peek();
    if (t.atEnd() && tok.kind !== 'star') return ABORT_ALL;
    switch (tok.kind) {
      case 'char':
        if (c !== tok.cp) return NO_MATCH;
        break;
      case 'sep':
        if (c !== SLASH) return NO_MATCH;
        break;
      case 'any':
        if (c === SLASH) return NO_MATCH;
        break;
      case 'set': {
        const hit = tok.items.some((it) => ('test' in it ? it.test(c) : c >= it.lo && c <= it.hi));
        if (hit === tok.negated) return NO_MATCH;
        break;
      }
      case 'star': {
        if (i === tokens.length - 1) {
          // A trailing "**" takes everything; a trailing "*" only the rest of the segment.
          return !tok.recursive && t.distanceTo(SLASH) !== -1 ? NO_MATCH : MATCH;
        }
        const nextIsSep = tokens[i + 1]!.kind === 'sep';
        if (tok.recursive && nextIsSep && i + 2 < tokens.length && matchFrom(tokens, i + 2, text, t.pos) === MATCH) return MATCH;
        if (!tok.recursive && nextIsSep) {
          const slash = t.distanceTo(SLASH);
          if (slash === -1) return NO_MATCH;
          t.pos += slash - 1; // the loop step moves onto the '/'
          break;
        }
        while (!t.atEnd()) {
          const r = matchFrom(tokens, i + 1, text, t.pos);
          if (r !== NO_MATCH) {
            if (!tok.recursive || r !== ABORT_TO_RECURSIVE) return r;
          } else if (!tok.recursive && c === SLASH) {
            return ABORT_TO_RECURSIVE;
          }
          c = t.next(); // kopia re-reads the character it just stepped over (see the header)
        }
        return ABORT_ALL;
      }
    }
  }
  return t.atEnd() ? MATCH : NO_MATCH;
}

function trimSpace(s: string): string {
  return s.replace(/^\p{White_Space}+/u, '').replace(/\p{White_Space}+$/u, '');
}

function badPattern(pattern: string, why: string): UsageError {
  return new UsageError(`ignore pattern ${JSON.stringify(pattern)} ${why}`, {
    hint: 'Fix the pattern (gitignore syntax: *, **, ?, [a-z], !negation, trailing / for directories).',
  });
}
