// The README's promise (issue 2, last acceptance bullet): it says what Cairn is, then gives the set-up and
// quick-start commands and the test command. This runs the quick start exactly as written (except
// `npm ci`, already done, and its /tmp paths, moved into a temp directory) and checks that the test command
// is a script of package.json.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cairn-cli.ts';
import { shellBlockAfter } from '../support/readme-blocks.ts';

const run = promisify(execFile);

let work: string;
let readme: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-readme-'));
  readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** PATH as a user's shell has it: without the node_modules/.bin entries `npx vitest` added (npx must find Node 24 itself). */
function userPath(): string {
  return (process.env['PATH'] ?? '/usr/bin:/bin').split(':').filter((d) => !d.includes('node_modules')).join(':');
}

describe('README', () => {
  it('says what Cairn is before any command', () => {
    const firstCode = readme.indexOf('```');
    const intro = readme.slice(0, firstCode);
    expect(intro).toMatch(/^# Cairn/);
    expect(intro).toMatch(/back(s)? up/i);
    expect(intro).toMatch(/Kopia/);
  });

  it('quick start: the commands as written create, snapshot, list and restore', async () => {
    const lines = shellBlockAfter(readme, /^## Quick start/m);
    expect(lines[0]).toBe('npm ci');
    const repo = join(work, 'repo');
    const restored = join(work, 'restored');
    const script = lines.slice(1).map((l) => l.replaceAll('/tmp/cairn-repo', repo).replaceAll('/tmp/cairn-restored', restored));
    expect(script.some((l) => l.includes('snapshot create')) && script.some((l) => l.includes('snapshot restore'))).toBe(true);
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script.join('\n')], {
      cwd: REPO_ROOT,
      env: { PATH: userPath(), HOME: work, npm_config_update_notifier: 'false' },
      timeout: 180_000,
    });
    expect(stdout).toMatch(/Created repository at/);
    expect(stdout).toMatch(/Snapshot [0-9a-f]{32} of /);
    expect(stdout).toMatch(/Restored snapshot [0-9a-f]{32} into /);
    expect((await stat(join(restored, 'src', 'cli', 'main.ts'))).isFile()).toBe(true);
  });

  it('the test command is what CI runs, and its parts are package.json scripts', async () => {
    const lines = shellBlockAfter(readme, /^Tests /m);
    expect(lines).toEqual(['npm test && npm run test:e2e']);
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(pkg.scripts?.['test']).toMatch(/vitest run/);
    expect(pkg.scripts?.['test:e2e']).toMatch(/vitest run --project e2e/);
    const ci = await readFile(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/npm test\b/);
    expect(ci).toMatch(/npm run test:e2e\b/);
  });
});
