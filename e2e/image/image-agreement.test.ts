// The Dockerfile and the registry-free builder must produce the same image: same base Node, user, entry
// point, working directory, environment, app paths and exclusions. This reads /Dockerfile and
// /.dockerignore and compares them with the constants build-image.ts uses (cairn-image.ts), and checks that
// nothing the image ships imports something the exclusions leave out.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, matchesGlob, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  APP_DIR,
  APP_EXCLUDES,
  APP_SOURCES,
  CA_BUNDLE,
  CAIRN_IMAGE_CONFIG,
  CAIRN_LINK,
  GROUP_ENTRY,
  IMAGE_ENV,
  PASSWD_ENTRY,
} from './cairn-image.ts';
import { ignorePatternRegExp, isExcluded, ZSTD_BINDING } from './cairn-rootfs.ts';
import { envPairs, execForm, parseDockerfile, parseInstructions, type Instruction } from './dockerfile-instructions.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const build = dockerfile.stages[0]!;
const runtime = dockerfile.stages.at(-1)!;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

function only(instructions: readonly Instruction[], keyword: string): Instruction {
  const found = instructions.filter((i) => i.keyword === keyword);
  expect(found, `exactly one ${keyword} in the runtime stage`).toHaveLength(1);
  return found[0]!;
}

const runText = (stage: typeof runtime): string => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');

describe('Dockerfile parser', () => {
  it('joins continuation lines, skips comments and groups stages with ARG defaults', () => {
    const d = parseDockerfile('ARG B=base@sha256:00\n# c\nFROM ${B} AS one\nRUN a \\\n  && b\nFROM ${B}\nENV X=1 Y="two words"\n');
    expect(d.stages.map((s) => [s.from, s.name])).toEqual([['base@sha256:00', 'one'], ['base@sha256:00', undefined]]);
    expect(d.stages[0]!.instructions).toEqual([{ keyword: 'RUN', args: 'a && b', line: 4 }]);
    expect(envPairs(d.stages[1]!.instructions)).toEqual({ X: '1', Y: 'two words' });
    expect(parseInstructions('cmd ["x"]')[0]!.keyword).toBe('CMD');
  });
});

describe('Dockerfile agrees with e2e/image/build-image.ts', () => {
  it('builds and runs on node:<the pinned Node>-bookworm-slim, pinned by digest', () => {
    expect(dockerfile.stages).toHaveLength(2);
    const expected = new RegExp(`^node:${pkg.devDependencies['node']!.replaceAll('.', '\\.')}-bookworm-slim@sha256:[0-9a-f]{64}$`);
    expect(build.from).toMatch(expected);
    expect(runtime.from).toBe(build.from);
  });

  it('runs as 65532:65532 with the same entry point, command and working directory', () => {
    expect(only(runtime.instructions, 'USER').args).toBe(CAIRN_IMAGE_CONFIG.user);
    expect(execForm(only(runtime.instructions, 'ENTRYPOINT'))).toEqual(CAIRN_IMAGE_CONFIG.entrypoint);
    expect(execForm(only(runtime.instructions, 'CMD'))).toEqual(CAIRN_IMAGE_CONFIG.cmd);
    expect(only(runtime.instructions, 'WORKDIR').args).toBe(CAIRN_IMAGE_CONFIG.workingDir);
  });

  it('sets the same environment', () => {
    expect(envPairs(runtime.instructions)).toEqual(IMAGE_ENV);
    const builderEnv = Object.fromEntries(CAIRN_IMAGE_CONFIG.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    expect(builderEnv).toEqual({ PATH: expect.any(String), ...IMAGE_ENV });
  });

  it('adds the same passwd and group entries and puts cairn on PATH', () => {
    const run = runText(runtime);
    expect(run).toContain(`echo '${PASSWD_ENTRY}' >> /etc/passwd`);
    expect(run).toContain(`echo '${GROUP_ENTRY}' >> /etc/group`);
    expect(run).toContain(`ln -s ${CAIRN_LINK.target} ${CAIRN_LINK.path}`);
  });

  it('copies exactly the app sources, the production node_modules and the CA bundle', () => {
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies.sort()).toEqual(
      [
        ...APP_SOURCES.map((s) => `${s} ${APP_DIR}/${s}`),
        `--from=build ${APP_DIR}/node_modules ${APP_DIR}/node_modules`,
        `--from=build ${CA_BUNDLE} ${CA_BUNDLE}`,
      ].sort(),
    );
  });

  it('installs production dependencies only and compiles zstd-napi against the local headers', () => {
    expect(envPairs(build.instructions)).toMatchObject({ npm_config_build_from_source: 'true', npm_config_nodedir: '/usr/local' });
    const run = runText(build);
    expect(run).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
    expect(run).toContain('npm ci --omit=dev');
    expect(run).toContain(`! -path '*/${ZSTD_BINDING.split('/').slice(-2).join('/')}' -delete`);
    expect(ZSTD_BINDING).toBe('node_modules/zstd-napi/build/Release/binding.node');
  });

  it('.dockerignore allows the app sources and leaves out what the builder leaves out', () => {
    const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines.filter((l) => l.startsWith('!')).sort()).toEqual([...APP_SOURCES, 'package-lock.json'].map((s) => `!${s}`).sort());
    expect(lines.filter((l) => l !== '*' && !l.startsWith('!'))).toEqual([...APP_EXCLUDES]);
  });
});

describe('what the image leaves out', () => {
  it('matches tests, fixtures, test support and benchmarks, not the program', () => {
    for (const p of ['mover/src/cli/main.ts', 'operator/src/main.ts', 'bin/cairn.mjs', 'mover/src/engine/policy/kopia-vectors.json']) expect(isExcluded(p), p).toBe(false);
    for (const p of [
      'mover/src/cli/main.test.ts',
      'operator/src/jobs/x.itest.ts',
      'mover/src/engine/format/testdata',
      'mover/src/engine/object/test-support',
      'mover/src/engine/content/content-test-support.ts',
      'mover/src/bench',
    ]) {
      expect(isExcluded(p), p).toBe(true);
    }
  });

  it('reads the patterns as path.matchesGlob does', () => {
    const paths = ['a.test.ts', 'x/y/a.test.ts', 'x/a.test.tsx', 'testdata', 'x/testdata', 'x/testdata2', 'mover/src/bench', 'x/mover/src/bench', 'x/my-test-support.ts'];
    for (const pattern of APP_EXCLUDES) {
      for (const p of paths) expect(ignorePatternRegExp(pattern).test(p), `${pattern} ~ ${p}`).toBe(matchesGlob(p, pattern));
    }
  });

  it('nothing that ships imports a file that does not', () => {
    const shipped: string[] = [];
    const walk = (rel: string): void => {
      if (isExcluded(rel)) return;
      const abs = join(ROOT, rel);
      const entries = readdirSync(abs, { withFileTypes: true });
      for (const e of entries) {
        const child = join(rel, e.name);
        if (e.isDirectory()) walk(child);
        else if (/\.(ts|mjs)$/.test(e.name) && !isExcluded(child)) shipped.push(child);
      }
    };
    for (const source of APP_SOURCES) if (source !== 'package.json') walk(source);
    expect(shipped.length).toBeGreaterThan(100);
    const broken: string[] = [];
    for (const file of shipped) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.\.?\/[^'"]+)['"]/g)) {
        const target = relative(ROOT, resolve(ROOT, dirname(file), m[1]!));
        if (isExcluded(target)) broken.push(`${file} imports ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
