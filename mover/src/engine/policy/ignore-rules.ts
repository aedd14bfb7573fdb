// Ignore rules for the snapshot walker with kopia's semantics (fs/ignorefs/ignorefs.go): tree-wide rules (policy
// `files.ignore`, `--exclude`) plus per-directory ignore files (`.kopiaignore` by default, policy
// `files.ignoreDotFiles`) whose patterns are relative to the directory holding the file. Rules are applied in
// order, root first then each deeper directory, the last applicable rule deciding: a plain rule can ignore a
// path, a `!` rule can bring it back. A directory that is ignored is never entered, so nothing below it can be
// re-included (as in git). Pure: the walker reads the ignore files and hands their text in.
//
// Usage by a walker:
//   const rules = createIgnoreMatcher({ rules: policy.files.ignore.concat(excludes) });
//   const root = rules.forDirectory('', textOf('.kopiaignore'));          // '' = the backup root
//   root.ignores('node_modules', true);                                    // entries of the root
//   const sub = root.forDirectory('src', textOf('src/.kopiaignore'));     // then each subdirectory
//   sub.ignores('build.log', false);
import { WildcardPattern } from './wildcard-pattern.ts';
import { IgnoreFileError } from './policy-errors.ts';
import { isCairnError, UsageError } from '../errors.ts';

export interface IgnoreMatcherOptions {
  /** Rules for the whole tree, relative to the backup root (policy `files.ignore`, then `--exclude`s). */
  readonly rules?: readonly string[] | undefined;
  /** Names of per-directory ignore files, in the order their rules apply; kopia's default `[".kopiaignore"]`. */
  readonly ignoreFileNames?: readonly string[] | undefined;
}

/** Something that can produce the matcher of a directory. */
export interface IgnoreScope {
  /** Ignore-file names the walker should read in each directory (their text goes to forDirectory). */
  readonly ignoreFileNames: readonly string[];
  /**
   * The matcher for directory `relDir` ("" or "." for the root, else "a/b" relative to the root), given the
   * text of its ignore files (one string, or one per name in ignoreFileNames; undefined when absent). Call it
   * on the matcher of the parent directory so the parents' ignore files apply; called on the object from
   * createIgnoreMatcher it applies only the tree-wide rules and this directory's files.
   */
  forDirectory(relDir: string, ignoreFileContents?: string | readonly (string | undefined)[] | undefined): DirectoryIgnoreMatcher;
}

export interface DirectoryIgnoreMatcher extends IgnoreScope {
  /** Normalized directory path relative to the root ("" for the root). */
  readonly relDir: string;
  /** True when the entry `name` of this directory is excluded from the snapshot. */
  ignores(name: string, isDir: boolean): boolean;
}

/** The rules in force for one directory: its own, then (evaluated first) its ancestors'. */
class RuleContext {
  readonly parent: RuleContext | undefined;
  readonly patterns: readonly WildcardPattern[];
  constructor(parent: RuleContext | undefined, patterns: readonly WildcardPattern[]) {
    this.parent = parent;
    this.patterns = patterns;
  }

  ignores(path: string, isDir: boolean): boolean {
    let ignored = this.parent === undefined ? false : this.parent.ignores(path, isDir);
    for (const p of this.patterns) {
      // Only a rule that could change the current answer is consulted (kopia shouldIncludeByName).
      if (ignored === p.negated) ignored = p.match(path, isDir);
    }
    return ignored;
  }
}

class DirectoryMatcher implements DirectoryIgnoreMatcher {
  readonly relDir: string;
  readonly ignoreFileNames: readonly string[];
  readonly #context: RuleContext;
  readonly #prefix: string;

  constructor(relDir: string, context: RuleContext, ignoreFileNames: readonly string[]) {
    this.relDir = relDir;
    this.#context = context;
    this.ignoreFileNames = ignoreFileNames;
    this.#prefix = relDir === '' ? '/' : `/${relDir}/`;
  }

  ignores(name: string, isDir: boolean): boolean {
    return this.#context.ignores(this.#prefix + name, isDir);
  }

  forDirectory(relDir: string, ignoreFileContents?: string | readonly (string | undefined)[]): DirectoryIgnoreMatcher {
    return directoryMatcher(this.#context, relDir, ignoreFileContents, this.ignoreFileNames);
  }
}

/** Builds the matcher factory; throws UsageError naming the first malformed tree-wide rule. */
export function createIgnoreMatcher(options: readonly string[] | IgnoreMatcherOptions = {}): IgnoreScope {
  const opts: IgnoreMatcherOptions = isStringList(options) ? { rules: options } : options;
  const names = [...(opts.ignoreFileNames ?? ['.kopiaignore'])];
  const patterns = (opts.rules ?? []).map((rule) => {
    try {
      return new WildcardPattern(rule, '');
    } catch (e) {
      throw new UsageError(`ignore rule ${JSON.stringify(rule)} is invalid`, {
        cause: e,
        hint: isCairnError(e) ? e.hint : 'Fix the --exclude or policy ignore rule.',
      });
    }
  });
  const root = new RuleContext(undefined, patterns);
  return {
    ignoreFileNames: names,
    forDirectory: (relDir, contents) => directoryMatcher(root, relDir, contents, names),
  };
}

function isStringList(v: readonly string[] | IgnoreMatcherOptions): v is readonly string[] {
  return Array.isArray(v);
}

function directoryMatcher(
  parent: RuleContext,
  relDir: string,
  contents: string | readonly (string | undefined)[] | undefined,
  names: readonly string[],
): DirectoryIgnoreMatcher {
  const dir = normalizeRelDir(relDir);
  const texts = typeof contents === 'string' ? [contents] : (contents ?? []);
  const baseDir = dir === '' ? '' : `/${dir}`;
  const patterns: WildcardPattern[] = [];
  texts.forEach((text, fileIndex) => {
    if (text === undefined) return;
    const fileName = names[fileIndex] ?? names[0] ?? 'ignore file';
    patterns.push(...parseIgnoreFile(text, baseDir, dir === '' ? fileName : `${dir}/${fileName}`));
  });
  // Without rules of its own a directory shares its parent's context, as kopia does.
  const context = patterns.length === 0 ? parent : new RuleContext(parent, patterns);
  return new DirectoryMatcher(dir, context, names);
}

/** The rules of one ignore file: one pattern a line; blank lines and lines starting with "#" are skipped. */
export function parseIgnoreFile(text: string, baseDir: string, fileLabel: string): WildcardPattern[] {
  const out: WildcardPattern[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('#') || /^\p{White_Space}*$/u.test(line)) continue;
    try {
      out.push(new WildcardPattern(line, baseDir));
    } catch (e) {
      throw new IgnoreFileError(`${fileLabel} line ${i + 1}: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
        hint: 'Fix or remove that line of the ignore file (gitignore syntax).',
      });
    }
  }
  return out;
}

/** "" for the root; otherwise the path without leading "./" or "/" and without a trailing "/". */
export function normalizeRelDir(relDir: string): string {
  let d = relDir;
  if (d === '.' || d === './' || d === '/') return '';
  if (d.startsWith('./')) d = d.slice(2);
  while (d.startsWith('/')) d = d.slice(1);
  while (d.endsWith('/')) d = d.slice(0, -1);
  return d;
}
