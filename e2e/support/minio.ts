// Starts a real MinIO server (the pinned build, see tools.ts) on a free loopback port with a throw-away
// data directory, for integration tests. Besides the root credentials it can mint restricted temporary
// credentials through MinIO's STS AssumeRole with an inline session policy (no `mc` needed), e.g.
// append-only keys that may read, list and write but not delete.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { threadStats } from './proc-stat.ts';
import { signV4 } from './sigv4.ts';
import { findTool } from './tools.ts';

export interface MinioCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface MinioServer {
  /** e.g. `http://127.0.0.1:40123` */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
  readonly dataDir: string;
  /** With `tls`: the PEM file of the self-signed certificate the server uses (pass as `ca`). */
  readonly caFile: string | undefined;
  /** The server's process ID (the bench reads its CPU time from /proc). */
  readonly pid: number | undefined;
  /** The root credentials in the shape the S3 store takes. */
  readonly credentials: MinioCredentials;
  /** A repository URL for a bucket (and optional prefix) on this server. */
  url(bucket: string, prefix?: string): string;
  createBucket(name: string): Promise<void>;
  deleteBucket(name: string): Promise<void>;
  /** Temporary credentials limited by an IAM policy document (MinIO STS AssumeRole, root as parent). */
  assumeRole(policy: object, durationSeconds?: number): Promise<MinioCredentials>;
  /** Credentials that may get, list and put in `bucket` but not delete. */
  appendOnlyCredentials(bucket: string): Promise<MinioCredentials>;
  /** Credentials that may only get and list in `bucket`. */
  readOnlyCredentials(bucket: string): Promise<MinioCredentials>;
  /** An access key MinIO does not know (InvalidAccessKeyId). */
  unknownKeyCredentials(): MinioCredentials;
  /** The real access key with a wrong secret (SignatureDoesNotMatch). */
  wrongSecretCredentials(): MinioCredentials;
  /**
   * Freeze the server process (SIGSTOP) to simulate a hung endpoint; resolves once every one of its threads is
   * stopped, since kill() only queues the signal and a thread still running could answer one more request.
   */
  suspend(): Promise<void>;
  /** Thaw it (SIGCONT). */
  resume(): void;
  /** Server output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartMinioOptions {
  /** Binary to run; default: findTool('minio'). */
  readonly binary?: string;
  readonly region?: string;
  /** How long to wait for readiness (default 60 s). */
  readonly readyTimeoutMs?: number;
  /** Serve https with a fresh self-signed certificate for 127.0.0.1 (needs the openssl CLI). */
  readonly tls?: boolean;
  /** Address to listen on (default 127.0.0.1); the e2e cluster uses its bridge address so pods reach it. */
  readonly host?: string;
  /** Directory for data and certificates (default: a fresh temp dir); removed by stop(). */
  readonly dir?: string;
}

/** Whether startMinio({ tls: true }) can work here. */
export function canMakeCertificates(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function makeSelfSignedCert(certsDir: string): string {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', join(certsDir, 'private.key'), '-out', join(certsDir, 'public.crt'),
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'pipe' });
  return join(certsDir, 'public.crt');
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Thread states of a process (one letter each). */
function threadStates(pid: number): string[] {
  return threadStats(pid).map((t) => t.fields[0]!);
}

/** Polls until every thread of `pid` is stopped (state T), for up to 10 s. */
async function waitStopped(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const states = threadStates(pid);
    if (states.length > 0 && states.every((s) => s === 'T')) return;
    if (Date.now() > deadline) throw new Error(`MinIO (pid ${pid}) did not stop after SIGSTOP; thread states: ${states.join('')}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

function policyFor(bucket: string, actions: string[]): object {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
  };
}

function xmlField(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export async function startMinio(options: StartMinioOptions = {}): Promise<MinioServer> {
  const binary = options.binary ?? findTool('minio');
  if (binary === undefined) throw new Error('minio is not installed; run `bash e2e/tools/install.sh`');
  const region = options.region ?? 'us-east-1';
  const accessKey = 'cairn-root';
  const secretKey = 'cairn-root-secret-0123456789';
  const base = options.dir ?? (await mkdtemp(join(tmpdir(), 'cairn-minio-')));
  await mkdir(base, { recursive: true });
  const dataDir = join(base, 'data');
  const certsDir = join(base, 'certs');
  await mkdir(certsDir);
  const caFile = options.tls === true ? makeSelfSignedCert(certsDir) : undefined;
  const ca = caFile === undefined ? undefined : readFileSync(caFile);
  const scheme = caFile === undefined ? 'http' : 'https';
  const host = options.host ?? '127.0.0.1';

  let proc: ChildProcess | undefined;
  let port: number;
  let log = '';
  for (let attempt = 1; ; attempt++) {
    port = await freePort(host);
    const consolePort = await freePort(host);
    log = '';
    const p = spawn(binary, ['server', dataDir, '--address', `${host}:${port}`, '--console-address', `${host}:${consolePort}`,
      '--certs-dir', certsDir, '--quiet'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: base,
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_REGION: region,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CI_CD: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const ready = await waitReady(p, `${scheme}://${host}:${port}/minio/health/ready`, ca, options.readyTimeoutMs ?? 60_000);
    if (ready) {
      proc = p;
      break;
    }
    p.kill('SIGKILL');
    if (attempt >= 3 || !/address already in use|bind/i.test(log)) {
      await rm(base, { recursive: true, force: true });
      throw new Error(`MinIO did not become ready on port ${port}:\n${log.slice(-4000)}`);
    }
  }

  const endpoint = `${scheme}://${host}:${port}`;
  const credentials = { accessKeyId: accessKey, secretAccessKey: secretKey };
  const admin = new S3Client({
    endpoint, region, forcePathStyle: true, credentials, maxAttempts: 3,
    ...(ca === undefined ? {} : { requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca }) }) }),
  });
  const child = proc;

  const server: MinioServer = {
    endpoint, accessKey, secretKey, region, dataDir, credentials, caFile, pid: child.pid,
    url(bucket, prefix = '') {
      return `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=${region}`;
    },
    async createBucket(name) {
      await admin.send(new CreateBucketCommand({ Bucket: name }));
    },
    async deleteBucket(name) {
      await admin.send(new DeleteBucketCommand({ Bucket: name }));
    },
    async assumeRole(policy, durationSeconds = 3600) {
      const url = new URL(`${endpoint}/`);
      const body = new URLSearchParams({
        Action: 'AssumeRole', Version: '2011-06-15', DurationSeconds: String(durationSeconds), Policy: JSON.stringify(policy),
      }).toString();
      const headers = signV4({
        method: 'POST', url, region, service: 'sts', accessKeyId: accessKey, secretAccessKey: secretKey, body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const res = await send(url, 'POST', headers, body, ca);
      const text = res.body;
      const id = xmlField(text, 'AccessKeyId');
      const secret = xmlField(text, 'SecretAccessKey');
      const token = xmlField(text, 'SessionToken');
      if (res.status !== 200 || id === undefined || secret === undefined || token === undefined) {
        throw new Error(`MinIO AssumeRole failed (HTTP ${res.status}): ${text.slice(0, 500)}`);
      }
      return { accessKeyId: id, secretAccessKey: secret, sessionToken: token };
    },
    appendOnlyCredentials(bucket) {
      return server.assumeRole(policyFor(bucket, ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:GetBucketLocation']));
    },
    readOnlyCredentials(bucket) {
      return server.assumeRole(policyFor(bucket, ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation']));
    },
    unknownKeyCredentials() {
      return { accessKeyId: 'cairn-unknown-key', secretAccessKey: 'not-the-secret-0123456789' };
    },
    wrongSecretCredentials() {
      return { accessKeyId: accessKey, secretAccessKey: 'not-the-secret-0123456789' };
    },
    async suspend() {
      child.kill('SIGSTOP');
      await waitStopped(child.pid!);
    },
    resume() {
      child.kill('SIGCONT');
    },
    output() {
      return log;
    },
    async stop() {
      admin.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(base, { recursive: true, force: true });
    },
  };
  return server;
}

/** One HTTP(S) request with Node's client (fetch cannot take a custom CA). */
function send(url: URL, method: string, headers: Record<string, string>, body: string, ca: Buffer | undefined,
  timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method, headers, timeout: timeoutMs, ...(ca === undefined ? {} : { ca }),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls the readiness URL until 200, the process exits (false), or the timeout passes (false). */
async function waitReady(p: ChildProcess, url: string, ca: Buffer | undefined, timeoutMs: number): Promise<boolean> {
  let exited = false;
  p.once('exit', () => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    try {
      if ((await send(new URL(url), 'GET', {}, '', ca, 2000)).status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
