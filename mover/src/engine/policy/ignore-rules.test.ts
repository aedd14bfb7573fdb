import { describe, expect, it } from 'vitest';
import { WildcardPattern } from './wildcard-pattern.ts';
import { createIgnoreMatcher, normalizeRelDir } from './ignore-rules.ts';
import type { DirectoryIgnoreMatcher, IgnoreMatcherOptions } from './ignore-rules.ts';
import vectors from './kopia-vectors.json' with { type: 'json' };

/** kopia's test convention: a trailing slash on the path marks a directory. */
function matches(pattern: string, path: string, baseDir = ''): boolean {
  const isDir = path.length > 1 && path.endsWith('/');
  return new WildcardPattern(pattern, baseDir).match(isDir ? path.slice(0, -1) : path, isDir);
}

describe('WildcardPattern: kopia internal/wcmatch test cases (case-sensitive)', () => {
  const cases: [string, string, boolean][] = [
    ['', '', true], ['*', '', true], ['**', '', true], ['b', 'a', false], ['*.*', 'foo.txt', true],
    ['foo\\.txt', 'foo.txt', true], ['*/', '.git/', true],
    // sequences
    ['ab[cd]', 'abc', true], ['ab[!de]', 'abc', true], ['[\\\\]', '\\', true], ['[!\\\\]', 'a', true],
    ['[!\\\\]', '\\', false], ['[-abc]', '-', true], ['[abc-]', '-', true], ['[[]', '[', true], ['[a-z]', 'q', true],
    ['[a-\\z]', 'q', true], ['[a-d]', 'e', false], ['[a\\-c]', '-', true], ['[a\\-c]', 'b', false], ['[[:]', ':', true],
    ['[[:ab]', ':', true], ['[[:ab]', '[', true], ['[[:ab]', 'b', true], ['[[:ab]', 'c', false],
    ['[![:digit:]ab]', 'a', false], ['[![:digit:]ab]', '3', false], ['[![:digit:]ab]', 'c', true],
    // case
    ['abc', 'abc', true], ['abc', 'AbC', false], ['AbC', 'abc', false], ['[A-F]', 'C', true], ['[A-F]', 'c', false],
    // wildcards
    ['ab*', 'abcd', true], ['ab*cd', 'abcd', true], ['ab*cd', 'abxxxcd', true], ['ab***cd', 'abcd', true],
    ['ab***cd', 'abxxxcd', true], ['ab*', 'ab/cd', false], ['ab**', 'ab/cd', false], ['?*?', 'abc', true],
    ['???*', 'abc', true], ['*???', 'abc', true], ['???', 'abc', true], ['*', 'abc', true], ['??', 'a', false],
    // recursive wildcards
    ['**', 'foo', true], ['**', 'foo/bar', true], ['/a/**/b/foo.txt', '/a/b/c/d/foo.txt', false],
    ['/a/**/b/foo.txt', '/a/b/c/b/foo.txt', true], ['/a/**/b/foo.txt', '/a/b/c/b/foo.txt/other', false],
    ['/a/**/b/foo.txt', '/a/b/c/b/foo.txt/e/b/foo.txt', true], ['foo/**', '/foo/bar/a/b/c.txt', true],
    ['/foo/**/bar/**/p.txt', '/foo/bar/p.txt', true], ['/foo/**/bar/**/p.txt', '/foo/x/bar/p.txt', true],
    ['/foo/**/bar/**/p.txt', '/foo/x/x/bar/x/y/p.txt', true], ['**/bar/a.txt', '/foo/x/x/bar/a.txt', true],
    // rooted / unrooted
    ['bar/a.txt', '/foo/bar/a.txt', false], ['/bar/a.txt', '/foo/bar/a.txt', false], ['bar/a.txt', '/bar/a.txt', true],
    ['*.txt', '/foo/bar/a.txt', true], ['/*.txt', '/foo/bar/a.txt', false], ['**/*.txt', '/foo/bar/a.txt', true],
    // directories
    ['foo/', '/foo', false], ['foo/', '/foo/', true], ['foo/', '/foo/bar', false], ['foo/', '/foo/bar/', false],
    ['foo/', '/bar/foo', false], ['foo/', '/bar/foo/', true], ['foo/**/bar/', '/foo/bar', false],
    ['foo/**/bar/', '/foo/bar/', true], ['foo/**/bar/', '/foo/xx/yy/bar/', true], ['**/', '/foo', false], ['**/', '/foo/', true],
    // negated: true means "the rule says ignore"
    ['!foo', '/bar', true], ['!foo', 'foo/', false], ['!*', '/foo', false], ['!*/', '/.git/', false],
    ['!*/', '/foo/bar/', false], ['!foo/bar', '/foo/bar', false], ['!foo/bar', '/car/foo/bar', true],
    ['!foo/bar/', '/foo/bar/', false], ['!foo/bar/', '/car/foo/bar/', true],
    // white space
    ['  \tfoo', 'foo', true], ['  foo  ', 'foo', true], [' foo\\ ', '/foo ', true],
    ['/users/user1/logs', '/users/user1/logs', true], ['/users/**/logs', '/users/user1/logs', true],
    ['/users/user?/logs', '/users/user1/logs', true], ['/users/user*/logs', '/users/user1/logs', true],
    ['/users/*/logs', '/users/user1/logs', true],
    // character classes (a sample of kopia's table)
    ['[[:alnum:]]', 'Б', true], ['[[:alnum:]]', '.', false], ['[[:alpha:]]', '3', false], ['[[:ascii:]]', 'Б', false],
    ['[[:blank:]]', '\t', true], ['[[:blank:]]', '\n', false], ['[[:cntrl:]]', '\n', true], ['[[:digit:]]', '۳', true],
    ['[[:graph:]]', ' ', true], ['[[:graph:]]', '\n', false], ['[[:lower:]]', 'ε', true], ['[[:lower:]]', 'C', false],
    ['[[:print:]]', ' ', true], ['[[:print:]]', '\n', false], ['[[:punct:]]', '$', true], ['[[:punct:]]', 'c', false],
    ['[[:space:]]', '\n', true], ['[[:upper:]]', 'Б', true], ['[[:upper:]]', 'ε', false], ['[[:xdigit:]]', 'F', true],
    ['[[:xdigit:]]', 'G', false],
  ];
  it.each(cases)('%j against %j -> %j', (pattern, path, want) => {
    expect(matches(pattern, path)).toBe(want);
  });

  const withBase: [string, string, string, boolean][] = [
    ['', '/base/', '', true], ['*', '/base/', '/foo', false], ['**', '/base', '/foo', false], ['*', '/base', '/base/foo', true],
    ['**', '/base/', '/base/foo', true], ['*.txt', '/base/', '/base/foo.txt', true], ['*.txt', '/base/', '/other/foo.txt', false],
    ['/src/file.txt', '/base', '/base/src/file.txt', true], ['/src/file.txt', '/base', '/other/src/file.txt', false],
    ['**/src/file.txt', '/base', '/base/foo/src/file.txt', true], ['src/file.txt', '/base', '/base/foo/src/file.txt', false],
    ['file.txt', '/base', '/base/foo/src/file.txt', true], ['file.txt', '/base', '/other/foo/src/file.txt', false],
  ];
  it.each(withBase)('%j in base %j against %j -> %j', (pattern, base, path, want) => {
    expect(matches(pattern, path, base)).toBe(want);
  });

  it.each(['[a', '[a-', '\\', '[\\', '[a-\\', '[[:alnum', '[[:alnum:]', '[[:foobar:]]'])('rejects %j', (pattern) => {
    expect(() => new WildcardPattern(pattern)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('reproduces kopia: "*" may swallow one "/" right before the rest of the pattern', () => {
    expect(matches('/*b', '/a/b')).toBe(true);
    expect(matches('/*b', '/a/c/b')).toBe(false);
  });

  it('agrees with kopia on generated cases (kopia-vectors.json)', () => {
    const wrong = vectors.wildcard.filter(([pattern, base, path, isDir, want]) => {
      let got: number | string;
      try {
        got = new WildcardPattern(pattern as string, base as string).match(path as string, isDir === 1) ? 1 : 0;
      } catch {
        got = 'error';
      }
      return got !== want;
    });
    expect(vectors.wildcard.length).toBeGreaterThan(300);
    expect(wrong).toEqual([]);
  });
});

// A tiny in-memory tree walker, as the snapshot layer will use the matcher: string = file contents, object = dir.
type Tree = { [name: string]: string | Tree };

function walk(tree: Tree, options: readonly string[] | IgnoreMatcherOptions): string[] {
  const rules = createIgnoreMatcher(options);
  const included: string[] = [];
  const visit = (dir: Tree, relDir: string, matcher: DirectoryIgnoreMatcher): void => {
    for (const name of Object.keys(dir).sort()) {
      const entry = dir[name]!;
      const isDir = typeof entry !== 'string';
      if (matcher.ignores(name, isDir)) continue;
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      included.push(isDir ? `${rel}/` : rel);
      if (isDir) visit(entry, rel, matcher.forDirectory(rel, ignoreTexts(entry, matcher.ignoreFileNames)));
    }
  };
  visit(tree, '', rules.forDirectory('', ignoreTexts(tree, rules.ignoreFileNames)));
  return included;
}

function ignoreTexts(dir: Tree, names: readonly string[]): (string | undefined)[] {
  return names.map((n) => (typeof dir[n] === 'string' ? (dir[n] as string) : undefined));
}

function baseTree(): Tree {
  return {
    file1: 'x', file2: 'x', file3: 'x', 'ignored-by-rule': 'x',
    bin: { 'some-bin': 'x' },
    pkg: { 'some-pkg': 'x' },
    src: { 'some-src': { f1: 'x' } },
  };
}

describe('ignore files and tree-wide rules (mirroring kopia fs/ignorefs tests)', () => {
  it('applies tree-wide rules without any ignore file', () => {
    expect(walk(baseTree(), { rules: ['*-by-rule'] })).toEqual([
      'bin/', 'bin/some-bin', 'file1', 'file2', 'file3', 'pkg/', 'pkg/some-pkg', 'src/', 'src/some-src/', 'src/some-src/f1',
    ]);
  });

  it('root .kopiaignore with a set pattern', () => {
    const tree = { ...baseTree(), '.kopiaignore': 'file[12]\n' };
    expect(walk(tree, { rules: ['*-by-rule'] })).toEqual([
      '.kopiaignore', 'bin/', 'bin/some-bin', 'file3', 'pkg/', 'pkg/some-pkg', 'src/', 'src/some-src/', 'src/some-src/f1',
    ]);
  });

  it('ignoring a directory hides everything below it; **/ and trailing / work', () => {
    const tree = { ...baseTree(), '.kopiaignore': '# comment\n\nfile[12]\r\n**/some-src\nbin/\n' };
    expect(walk(tree, ['*-by-rule'])).toEqual(['.kopiaignore', 'file3', 'pkg/', 'pkg/some-pkg', 'src/']);
  });

  it('patterns in a subdirectory file are relative to that directory; "/" anchors there', () => {
    const tree: Tree = {
      'c.foo': 'x',
      src: {
        '.kopiaignore': '/sub/*.foo\n',
        'c.foo': 'x',
        sub: { 'a.foo': 'x', 'b.fooX': 'x', foo: 'x', deeper: { 'd.foo': 'x' } },
      },
    };
    expect(walk(tree, {})).toEqual([
      'c.foo', 'src/', 'src/.kopiaignore', 'src/c.foo', 'src/sub/', 'src/sub/b.fooX', 'src/sub/deeper/', 'src/sub/deeper/d.foo', 'src/sub/foo',
    ]);
  });

  it('negation in a deeper file re-includes what a parent rule ignored', () => {
    const tree: Tree = {
      '.kopiaignore': '*.log\n',
      'a.log': 'x',
      logs: { '.kopiaignore': '!keep.log\n', 'keep.log': 'x', 'drop.log': 'x' },
    };
    expect(walk(tree, {})).toEqual(['.kopiaignore', 'logs/', 'logs/.kopiaignore', 'logs/keep.log']);
  });

  it('an ignored directory is never entered, so nothing below it can come back', () => {
    const tree: Tree = { '.kopiaignore': 'cache/\n!cache/keep\n', cache: { keep: 'x' } };
    expect(walk(tree, {})).toEqual(['.kopiaignore']);
  });

  it('a rule without a slash matches at any depth, one with a middle slash only from the base', () => {
    const tree: Tree = { a: { b: { c: 'x' }, c: 'x' }, b: { c: 'x' } };
    expect(walk(tree, ['b/c'])).toEqual(['a/', 'a/b/', 'a/b/c', 'a/c', 'b/']);
    expect(walk(tree, ['c'])).toEqual(['a/', 'a/b/', 'b/']);
  });

  it('later rules win; tree-wide --exclude rules apply before ignore files', () => {
    const tree: Tree = { '.kopiaignore': '!important.tmp\n', 'x.tmp': 'x', 'important.tmp': 'x' };
    expect(walk(tree, ['*.tmp'])).toEqual(['.kopiaignore', 'important.tmp']);
  });

  it('reads the configured ignore-file names in order', () => {
    const tree: Tree = { '.first': 'a*\n', '.second': '!ab\n', ab: 'x', ac: 'x', b: 'x' };
    expect(walk(tree, { ignoreFileNames: ['.first', '.second'] })).toEqual(['.first', '.second', 'ab', 'b']);
    expect(createIgnoreMatcher().ignoreFileNames).toEqual(['.kopiaignore']);
  });

  it('reports malformed rules with the file and line, or the tree-wide rule', () => {
    const root = createIgnoreMatcher();
    expect(() => root.forDirectory('src/', 'ok\n[broken\n')).toThrow(expect.objectContaining({ code: 'SOURCE_ERROR', message: expect.stringMatching(/src\/\.kopiaignore line 2/) }));
    expect(() => createIgnoreMatcher(['ok', 'trailing\\'])).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/trailing/) }));
  });

  it('normalizes directory paths', () => {
    expect(['', '.', './', '/'].map(normalizeRelDir)).toEqual(['', '', '', '']);
    expect(normalizeRelDir('./a/b/')).toBe('a/b');
    expect(normalizeRelDir('/a')).toBe('a');
    expect(createIgnoreMatcher(['/a/x']).forDirectory('./a/').ignores('x', false)).toBe(true);
  });
});
