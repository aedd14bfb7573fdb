// Turns a repository URL into a ready BlobStore with the standard wrappers:
//   file:///abs/path                      -> FilesystemBlobStore, concurrency-limited
//   s3://bucket[/prefix][?endpoint=http://127.0.0.1:9000&region=us-east-1&insecure=true&ca=/path/ca.pem]
//                                         -> S3BlobStore, concurrency-limited, retried
// (+ ReadOnlyBlobStore on top when readOnly). Credentials never go in the URL: they come from options
// or the AWS SDK's default chain, so descriptions and messages built from the URL cannot leak them.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BlobStore } from './blob-store.ts';
import { InvalidStoreUrlError } from './blob-errors.ts';
import { ConcurrencyLimitedBlobStore } from './concurrency-limited-store.ts';
import { createFilesystemStore } from './filesystem-store.ts';
import { errnoOf } from './fs-errors.ts';
import { ReadOnlyBlobStore } from './read-only-store.ts';
import { hasUserInfo, redactUrl } from './redact-url.ts';
import { RetryingBlobStore, type RetryOptions } from './retrying-store.ts';
// The S3 store (and the AWS SDK, ~0.4 s to load) is imported only for s3:// URLs.
import type { S3Credentials, S3StoreOptions } from './s3-store.ts';

export interface FileLocation {
  readonly kind: 'file';
  readonly path: string;
  /**
   * `?shared=group`: movers of several UIDs share the repository through its directory's group (a PVC with
   * an fsGroup), so new directories are setgid and group-writable and new blobs group-readable.
   */
  readonly sharedWithGroup?: boolean;
}

export interface S3Location {
  readonly kind: 's3';
  readonly bucket: string;
  /** Empty, or ending in `/`. */
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly insecure?: boolean;
  readonly caFile?: string;
}

export type BlobStoreLocation = FileLocation | S3Location;

export interface OpenBlobStoreOptions {
  /** Create the location if missing (filesystem directory + `.shards`; S3 buckets are never created). */
  readonly create?: boolean;
  /** For a new repository: a directory must be missing or empty (see FilesystemStoreOptions.requireEmpty). */
  readonly requireEmpty?: boolean;
  /** Refuse every put/delete (verify, restore, listing). */
  readonly readOnly?: boolean;
  /** S3 credentials; default: the AWS SDK chain (AWS_ACCESS_KEY_ID/..., ~/.aws/credentials, IMDS). */
  readonly credentials?: S3Credentials;
  /** PEM CA bundle file for an https S3 endpoint (overrides the URL's `ca`). */
  readonly caFile?: string;
  /** Skip TLS verification (overrides the URL's `insecure`). */
  readonly insecure?: boolean;
  /** Backoff for S3 (see RetryingBlobStore). */
  readonly retry?: RetryOptions;
  /** Storage operations in flight at once (default 32 for S3, 64 for a filesystem). */
  readonly concurrency?: number;
  /** Extra S3 client settings (timeouts, page size, request observer). */
  readonly s3?: Pick<S3StoreOptions, 'connectTimeoutMs' | 'socketTimeoutMs' | 'requestTimeoutMs' | 'maxSockets' | 'listPageSize' | 'onRequest'>;
  /** fsync on filesystem puts (default true). */
  readonly fsync?: boolean;
}

const S3_PARAMS = ['endpoint', 'region', 'insecure', 'ca'];
const EXAMPLES = 'use file:///absolute/path or s3://bucket/prefix?endpoint=https://host:port&region=us-east-1';

const shown = redactUrl;
const NO_CREDENTIALS_HINT = 'remove "KEY:SECRET@" from the URL and pass the S3 keys as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or with --s3-credentials-dir';

/** `file:///abs/path` for a path the user gave instead of a URL. */
function fileUrlOf(path: string): string {
  return pathToFileURL(resolve(path)).href;
}

function usage(message: string, hint: string): InvalidStoreUrlError {
  return new InvalidStoreUrlError(message, { hint });
}

/** Parses and validates a repository URL (no I/O). */
export function parseBlobStoreUrl(url: string): BlobStoreLocation {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url)) {
    if (hasUserInfo(url)) throw usage(`repository location "${shown(url)}" is not a URL and must not contain credentials`, NO_CREDENTIALS_HINT);
    throw usage(`repository location "${url}" is a path, not a URL`, `write a directory as a file URL: ${fileUrlOf(url)}`);
  }
  const credentials = (): InvalidStoreUrlError => usage(`repository URL "${shown(url)}" must not contain credentials`, NO_CREDENTIALS_HINT);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw hasUserInfo(url) ? credentials() : usage(`repository URL "${shown(url)}" is not a valid URL`, EXAMPLES);
  }
  if (u.username !== '' || u.password !== '') {
    throw usage(`repository URL ${shown(url)} must not contain credentials`, NO_CREDENTIALS_HINT);
  }
  if (u.protocol === 'file:') {
    if (u.host !== '' && u.host !== 'localhost') {
      throw usage(`file URL ${shown(url)} has host "${u.host}"; a file URL needs an absolute path`,
        `write it with three slashes: file:///${u.host}${u.pathname}`);
    }
    const shared = u.searchParams.get('shared');
    if ([...u.searchParams.keys()].some((k) => k !== 'shared') || (shared !== null && shared !== 'group')) {
      throw usage(`file URL ${shown(url)} takes only the query parameter shared=group`, 'remove the other "?..." parameters');
    }
    return { kind: 'file', path: fileURLToPath(u), ...(shared === 'group' ? { sharedWithGroup: true } : {}) };
  }
  if (u.protocol === 's3:') return parseS3(u, url);
  if (hasUserInfo(url)) throw credentials();
  throw usage(`unsupported repository URL scheme "${u.protocol.replace(/:$/, '')}" in ${shown(url)}`, EXAMPLES);
}

function parseS3(u: URL, url: string): S3Location {
  const bucket = u.hostname;
  if (bucket === '') throw usage(`s3 URL ${shown(url)} names no bucket`, 'write s3://BUCKET/optional/prefix');
  if (u.port !== '') {
    throw usage(`s3 URL ${shown(url)} has a port after the bucket name`, 'give the service address as ?endpoint=http://host:port');
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw usage(`"${bucket}" in ${shown(url)} is not a valid bucket name`, 'bucket names are 3-63 lowercase letters, digits, "." or "-"');
  }
  let prefix: string;
  try {
    prefix = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
  } catch {
    throw usage(`the prefix in ${shown(url)} has an invalid %-escape`, 'percent-encode the prefix as UTF-8, or leave it unescaped');
  }
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const loc: { -readonly [K in keyof S3Location]: S3Location[K] } = { kind: 's3', bucket, prefix };
  for (const [key, value] of u.searchParams) {
    switch (key) {
      case 'endpoint': {
        let e: URL;
        try {
          e = new URL(value);
        } catch {
          throw usage(`endpoint "${shown(value)}" in the repository URL is not a valid URL`,
            hasUserInfo(value) ? 'remove "KEY:SECRET@" from the endpoint; pass the S3 keys as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY' : 'write it with a scheme, e.g. ?endpoint=https://minio.example:9000');
        }
        if (e.protocol !== 'http:' && e.protocol !== 'https:') {
          throw usage(`endpoint "${e.protocol}//${e.host}" in the repository URL must use http or https`,
            'write it with a scheme, e.g. ?endpoint=https://minio.example:9000');
        }
        if (e.username !== '' || e.password !== '') {
          throw usage('the endpoint in the repository URL must not contain credentials', 'remove "user:secret@" from the endpoint');
        }
        loc.endpoint = `${e.protocol}//${e.host}${e.pathname === '/' ? '' : e.pathname}`;
        break;
      }
      case 'region':
        if (!/^[a-z0-9-]+$/.test(value)) throw usage(`region "${value}" in the repository URL is not a region name`, 'e.g. ?region=us-east-1');
        loc.region = value;
        break;
      case 'insecure':
        if (!['true', '1', 'false', '0'].includes(value)) {
          throw usage(`insecure="${value}" in the repository URL is not a boolean`, 'write ?insecure=true or leave it out');
        }
        loc.insecure = value === 'true' || value === '1';
        break;
      case 'ca':
        if (!value.startsWith('/')) throw usage(`ca="${value}" in the repository URL is not an absolute path`, 'write ?ca=/absolute/path/ca.pem');
        loc.caFile = value;
        break;
      default:
        throw usage(`unknown parameter "${key}" in the repository URL ${shown(url)}`, `s3 URLs accept ${S3_PARAMS.join(', ')}`);
    }
  }
  return loc;
}

/** Modes of a repository shared through its group: blobs readable and directories writable by the group. */
const GROUP_SHARED_MODES = { fileMode: 0o640, dirMode: 0o2770 } as const;

/** Opens the store a repository URL names, composed with the standard wrappers. */
export async function openBlobStore(url: string, options: OpenBlobStoreOptions = {}): Promise<BlobStore> {
  const loc = parseBlobStoreUrl(url);
  let store: BlobStore;
  if (loc.kind === 'file') {
    const fs = await createFilesystemStore(loc.path, {
      ...(options.create === undefined ? {} : { create: options.create }),
      ...(options.requireEmpty === undefined ? {} : { requireEmpty: options.requireEmpty }),
      ...(loc.sharedWithGroup === true ? GROUP_SHARED_MODES : {}),
      ...(options.fsync === undefined ? {} : { fsync: options.fsync }),
    });
    store = new ConcurrencyLimitedBlobStore(fs, options.concurrency ?? 64);
  } else {
    const caFile = options.caFile ?? loc.caFile;
    let ca: Buffer | undefined;
    if (caFile !== undefined) {
      try {
        ca = await readFile(caFile);
      } catch (e) {
        throw usage(`cannot read the CA bundle ${caFile}: ${errnoOf(e) ?? 'error'}`, 'point ca= at a readable PEM file');
      }
    }
    const insecure = options.insecure ?? loc.insecure;
    const { S3BlobStore } = await import('./s3-store.ts');
    const s3 = new S3BlobStore({
      ...options.s3,
      bucket: loc.bucket,
      prefix: loc.prefix,
      ...(loc.endpoint === undefined ? {} : { endpoint: loc.endpoint }),
      ...(loc.region === undefined ? {} : { region: loc.region }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      ...(ca === undefined ? {} : { ca }),
      ...(insecure === undefined ? {} : { insecure }),
    });
    store = new RetryingBlobStore(new ConcurrencyLimitedBlobStore(s3, options.concurrency ?? 32), options.retry);
  }
  return options.readOnly === true ? new ReadOnlyBlobStore(store) : store;
}
