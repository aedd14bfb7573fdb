// A BlobStore on S3 or an S3-compatible service (kopia repo/blob/s3/s3_storage.go): key = prefix + blob ID,
// flat. Ranged GETs, ListObjectsV2 pagination, HEAD for stat, conditional PUT (If-None-Match: *) for
// ifNotExists. The SDK's own retries are off (maxAttempts 1): RetryingBlobStore decides what to retry,
// using the typed errors of s3-errors.ts. Connect/idle timeouts keep a dead endpoint from hanging a run.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { BlobMetadata, BlobStore, ByteRange, PutOptions } from './blob-store.ts';
import { BlobRangeError, InvalidBlobIdError, StorageUnavailableError } from './blob-errors.ts';
import { describeSdkError, mapS3Error, type S3Operation } from './s3-errors.ts';
import { readBody } from './s3-body.ts';
import { S3HttpHandler } from './s3-http-handler.ts';
import { markUnsignedPayload } from './s3-unsigned-payload.ts';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3StoreOptions {
  readonly bucket: string;
  /** Key prefix for every blob, e.g. `team-a/repo1/` (kept verbatim; include the trailing slash). */
  readonly prefix?: string;
  /** Endpoint URL for S3-compatible services, e.g. `http://127.0.0.1:9000`. Default: AWS. */
  readonly endpoint?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Path-style addressing (`endpoint/bucket/key`); default true when an endpoint is given. */
  readonly forcePathStyle?: boolean;
  /** Explicit credentials; otherwise the SDK's default chain (AWS_* variables, ~/.aws files, IMDS...). */
  readonly credentials?: S3Credentials;
  /** PEM CA bundle to trust for an https endpoint (in addition to nothing else: it replaces the defaults). */
  readonly ca?: string | Buffer;
  /** Skip TLS certificate verification (testing only). */
  readonly insecure?: boolean;
  /** TCP/TLS connect timeout (default 5 000 ms). */
  readonly connectTimeoutMs?: number;
  /** Socket idle timeout (default 60 000 ms). */
  readonly socketTimeoutMs?: number;
  /** Whole request timeout (default 600 000 ms, enough for a 20 MiB pack on a slow link). */
  readonly requestTimeoutMs?: number;
  /** Connections kept per endpoint (default 64). */
  readonly maxSockets?: number;
  /** Keys per ListObjectsV2 page (default 1000, the S3 maximum). */
  readonly listPageSize?: number;
  /** Called once per HTTP request sent (diagnostics and tests). */
  readonly onRequest?: (operation: string) => void;
}

export class S3BlobStore implements BlobStore {
  readonly description: string;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly listPageSize: number;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.listPageSize = options.listPageSize ?? 1000;
    this.description = `s3://${this.bucket}/${this.prefix}${options.endpoint === undefined ? '' : ` at ${safeEndpoint(options.endpoint)}`}`;
    const maxSockets = options.maxSockets ?? 64;
    const timeouts = {
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      socketTimeoutMs: options.socketTimeoutMs ?? 60_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 600_000,
    };
    const nodeHandler = new NodeHttpHandler({
      connectionTimeout: timeouts.connectTimeoutMs,
      socketTimeout: timeouts.socketTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({
        keepAlive: true,
        maxSockets,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.insecure === true ? { rejectUnauthorized: false } : {}),
      }),
    });
    // large ranged GETs through undici (s3-http-handler.ts), the rest through Node's http
    const requestHandler = new S3HttpHandler(nodeHandler, { ...timeouts, maxSockets, ca: options.ca, insecure: options.insecure });
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      maxAttempts: 1,
      requestHandler,
      // Only send/verify checksums S3 requires: many S3-compatible services reject the newer CRC headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    };
    this.client = new S3Client(config);
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        markUnsignedPayload(context.commandName, args.request);
        return next(args);
      },
      { step: 'build', name: 'cairnUnsignedPayloadOverTls' },
    );
    const onRequest = options.onRequest;
    if (onRequest !== undefined) {
      this.client.middlewareStack.add(
        (next, context) => async (args) => {
          onRequest(context.commandName ?? 'unknown');
          return next(args);
        },
        { step: 'finalizeRequest', name: 'cairnRequestObserver', priority: 'low' },
      );
    }
  }

  private key(id: string): string {
    if (id.length === 0) throw new InvalidBlobIdError(id, 'blob IDs must not be empty');
    return this.prefix + id;
  }

  private fail(e: unknown, op: S3Operation, id: string): never {
    throw mapS3Error(e, { op, bucket: this.bucket, id, where: this.description });
  }

  async get(id: string, range?: ByteRange): Promise<Buffer> {
    const key = this.key(id);
    if (range !== undefined) {
      if (!Number.isSafeInteger(range.offset) || !Number.isSafeInteger(range.length) || range.offset < 0 || range.length < 0) {
        throw new BlobRangeError(id, `invalid range ${range.offset}+${range.length} for blob ${id}`);
      }
      if (range.length === 0) {
        const m = await this.stat(id);
        if (range.offset > m.length) {
          throw new BlobRangeError(id, `range ${range.offset}+0 is outside blob ${id} (${m.length} bytes) in ${this.description}`);
        }
        return Buffer.alloc(0);
      }
    }
    let data: Uint8Array;
    try {
      const out = await this.client.send(new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(range === undefined ? {} : { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` }),
      }));
      if (out.Body === undefined) throw new Error('GetObject returned no body');
      data = await readBody(out.Body, range?.length ?? out.ContentLength, range?.into);
    } catch (e) {
      this.fail(e, 'get', id);
    }
    if (range !== undefined && data.length !== range.length) {
      throw new BlobRangeError(id, `range ${range.offset}+${range.length} is outside blob ${id} in ${this.description} (got ${data.length} bytes)`);
    }
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  async stat(id: string): Promise<BlobMetadata> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(id) }));
      return { id, length: out.ContentLength ?? 0, timestamp: out.LastModified ?? new Date(0) };
    } catch (e) {
      const { code, status } = describeSdkError(e);
      if (status === 403 && (code === 'Unknown' || code === 'Forbidden' || code === 'UnknownError')) {
        // AWS answers a HEAD with a bare 403 for both bad credentials and missing permission; a one-byte
        // GET returns an error body that tells them apart (this path only runs on failure).
        try {
          await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id), Range: 'bytes=0-0' }));
        } catch (e2) {
          if (describeSdkError(e2).status === 403) this.fail(e2, 'stat', id);
        }
      }
      this.fail(e, 'stat', id);
    }
  }

  async *list(prefix: string): AsyncGenerator<BlobMetadata> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          MaxKeys: this.listPageSize,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }));
      } catch (e) {
        this.fail(e, 'list', prefix);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.prefix)) continue;
        const id = o.Key.slice(this.prefix.length);
        if (id === '') continue;
        yield { id, length: o.Size ?? 0, timestamp: o.LastModified ?? new Date(0) };
      }
      if (page.IsTruncated !== true) return;
      // A truncated page must hand out a new token; anything else would end the listing early (blobs
      // silently missing) or repeat the same page forever.
      const next = page.NextContinuationToken;
      if (next === undefined || next === '' || next === token) {
        throw new StorageUnavailableError(`S3 listing of ${this.description} prefix "${prefix}" did not advance (a truncated page without a new continuation token)`, {
          retryable: false, hint: 'the storage endpoint returned an inconsistent listing; retry later or report it to the storage provider',
        });
      }
      token = next;
    } while (token !== undefined);
  }

  async put(id: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(id),
        Body: data,
        ContentLength: data.byteLength,
        ...(options.ifNotExists === true ? { IfNoneMatch: '*' } : {}),
      }));
    } catch (e) {
      this.fail(e, 'put', id);
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(id) }));
    } catch (e) {
      // S3 answers 204 for a missing key; some S3-compatible services answer 404 instead.
      const { code, status } = describeSdkError(e);
      if ((status === 404 || code === 'NoSuchKey') && code !== 'NoSuchBucket') return;
      this.fail(e, 'delete', id);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** An endpoint URL without any userinfo, for messages. */
export function safeEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    u.username = '';
    u.password = '';
    return u.origin === 'null' ? u.href : `${u.origin}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid endpoint URL)';
  }
}
