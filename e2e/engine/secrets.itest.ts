// Acceptance (issue 8, item 6): nothing derived from a credential is ever printed. Planted secrets — a
// password, an access key and a secret key containing "/" — go where users put them by mistake (in the
// --repo URL, raw and %-encoded, in the endpoint parameter) and where they belong (environment, password
// file, credentials directory), then failing commands run with every output channel on: --json,
// --result-file, --log-level debug and --debug (stack traces). An S3 endpoint that rejects every request
// and echoes the request's credentials back in its error body plays the storage. No output of any run may
// contain a planted secret, raw, %-encoded or JSON-escaped.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairnOk, describeRun, runCairn, type CairnRunOptions } from './support/cairn-cli.ts';

const PASSWORD = 'Pl4nted-pass/word+x';
const ACCESS = 'AKIAPLANTED0123456789';
const SECRET = 'pl4nted/Secret+Key/abcdefghijklmnopqrstu';
const PLANTED = [PASSWORD, ACCESS, SECRET];
const forms = (s: string): string[] => [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1), s.replace(/\//g, '\\/')];

let work: string;
let server: Server;
let endpoint: string;
let repoUrl: string;
let results = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-secrets-'));
  // An S3 endpoint that refuses everything and, like some servers, echoes what it was sent.
  server = createServer((req, res) => {
    const echoed = `${req.headers.authorization ?? ''} ${req.url ?? ''}`.replace(/[<>&]/g, ' ');
    res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': 'planted-request' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>signature mismatch for ${echoed}</Message>` +
      `<AWSAccessKeyId>${ACCESS}</AWSAccessKeyId><StringToSign>${echoed}</StringToSign><RequestId>planted-request</RequestId></Error>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  repoUrl = `file://${join(work, 'repo')}`;
  await cairnOk(['repository', 'create', '--repo', repoUrl], { password: PASSWORD });
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** Runs a failing command with every output channel on; returns everything it printed or wrote. */
async function allOutput(args: readonly string[], options: CairnRunOptions, expectedExit: number): Promise<string> {
  const resultFile = join(work, `result-${++results}.json`);
  const r = await runCairn([...args, '--json', '--log-level', 'debug', '--debug', '--result-file', resultFile], { timeoutMs: 60_000, ...options });
  expect(r.exitCode, describeRun(r)).toBe(expectedExit);
  return `${r.stdout}\n${r.stderr}\n${await readFile(resultFile, 'utf8')}`;
}

function expectNoSecret(output: string): void {
  for (const s of PLANTED) for (const f of forms(s)) expect(output.includes(f), `planted secret ${JSON.stringify(f)} printed:\n${output}`).toBe(false);
}

describe('secrets stay secret', () => {
  it('credentials in the --repo URL (raw, %-encoded, with "/") never show', async () => {
    for (const url of [
      `s3://${ACCESS}:${SECRET}@bucket/prefix`,
      `s3://${ACCESS}:${encodeURIComponent(SECRET)}@bucket/prefix?region=us-east-1`,
      `s3://bucket/prefix?endpoint=http://${ACCESS}:${SECRET}@127.0.0.1:9`,
      `s3://bucket/prefix?endpoint=${encodeURIComponent(`http://${ACCESS}:${SECRET}@127.0.0.1:9`)}`,
      `${ACCESS}:${SECRET}@bucket/prefix`,
    ]) {
      const out = await allOutput(['snapshot', 'list', '--repo', url], {}, 2);
      expect(out).toMatch(/must not contain credentials|not a valid URL/);
      expectNoSecret(out);
      expectNoSecret(await allOutput(['snapshot', 'list'], { env: { CAIRN_REPOSITORY: url } }, 2));
    }
  });

  it('S3 errors that echo the request never show the keys (environment and credentials directory)', async () => {
    const url = `s3://bucket/prefix?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`;
    const env = { AWS_ACCESS_KEY_ID: ACCESS, AWS_SECRET_ACCESS_KEY: SECRET };
    for (const args of [['snapshot', 'list'], ['repository', 'create'], ['snapshot', 'create', work], ['maintenance', 'run', '--full']]) {
      expectNoSecret(await allOutput([...args, '--repo', url], { env, password: PASSWORD }, 14));
    }
    const dir = join(work, 'creds');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'AWS_ACCESS_KEY_ID'), ACCESS);
    await writeFile(join(dir, 'AWS_SECRET_ACCESS_KEY'), `${SECRET}\n`);
    expectNoSecret(await allOutput(['snapshot', 'list', '--repo', url, '--s3-credentials-dir', dir], { password: PASSWORD }, 14));
  });

  it('the password never shows, from the environment or a file', async () => {
    expectNoSecret(await allOutput(['snapshot', 'list', '--repo', repoUrl], { password: `${PASSWORD}-wrong` }, 10));
    const file = join(work, 'password.txt');
    await writeFile(file, `${PASSWORD}\n`);
    expectNoSecret(await allOutput(['snapshot', 'create', join(work, 'no-such-source'), '--repo', repoUrl, '--password-file', file], { password: null }, 21));
    expectNoSecret(await allOutput(['snapshot', 'restore', 'no-such-id', join(work, 'out'), '--repo', repoUrl], { password: PASSWORD }, 19));
    expectNoSecret(await allOutput(['repository', 'change-password', '--repo', repoUrl, '--new-password-file', join(work, 'missing')], { password: PASSWORD }, 2));
  });
});
