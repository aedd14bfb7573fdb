// Maps AWS SDK / S3 / network failures onto the blob layer's typed errors. Only transient conditions
// (network errors, timeouts, 5xx, throttling) come out retryable; rejected credentials never do.
// The SDK error is not attached as `cause` (it carries request headers); a sanitized summary is.
import { CairnError } from '../errors.ts';
import {
  AuthFailedError,
  BlobExistsError,
  BlobNotFoundError,
  BlobRangeError,
  BucketNotFoundError,
  DeleteNotPermittedError,
  InvalidStoreUrlError,
  StoragePermissionError,
  StorageUnavailableError,
} from './blob-errors.ts';

export type S3Operation = 'get' | 'stat' | 'list' | 'put' | 'delete';

export interface S3ErrorContext {
  readonly op: S3Operation;
  readonly bucket: string;
  /** Blob ID (or list prefix). */
  readonly id: string;
  /** The store description (`s3://bucket/prefix at endpoint`), never containing credentials. */
  readonly where: string;
}

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  $response?: { headers?: Record<string, unknown> };
}

/** Names the SDK gives errors whose response had no body (HEAD requests). */
const GENERIC_NAMES = new Set(['Unknown', 'UnknownError', 'NotFound', 'Forbidden', 'BadRequest']);

const AUTH_CODES = new Set([
  'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'TokenRefreshRequired',
  'InvalidSecurity', 'InvalidClientTokenId', 'UnrecognizedClientException', 'CredentialsProviderError',
  'XMinioInvalidIAMCredentials',
]);
const THROTTLE_CODES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'TooManyRequestsException',
  'RequestLimitExceeded', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'OperationAborted',
  'ConditionalRequestConflict', 'XMinioServerNotInitialized', 'XMinioReadQuorum', 'XMinioWriteQuorum',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EPIPE', 'EAI_AGAIN',
  'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_NOT_YET_VALID',
  'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The S3 error code (`NoSuchKey`), Node error code (`ECONNREFUSED`) or error name, and the HTTP status. */
export function describeSdkError(e: unknown): { code: string; status: number | undefined; requestId: string | undefined } {
  const err = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  const status = typeof err.$metadata?.httpStatusCode === 'number' ? err.$metadata.httpStatusCode : undefined;
  let code = str(err.Code) ?? str(err.code) ?? str(err.name) ?? 'UnknownError';
  if (GENERIC_NAMES.has(code)) {
    // A HEAD error has no body; MinIO still names the error in a header.
    code = str(err.$response?.headers?.['x-minio-error-code']) ?? code;
  }
  return { code, status, requestId: str(err.$metadata?.requestId) };
}

export function mapS3Error(e: unknown, ctx: S3ErrorContext): CairnError {
  if (e instanceof CairnError) return e;
  const { code, status, requestId } = describeSdkError(e);
  const summary = `${code}${status === undefined ? '' : ` (HTTP ${status}`}${requestId === undefined ? '' : `, request ${requestId}`}${status === undefined ? '' : ')'}`;
  const cause = new Error(summary);
  const what = ctx.op === 'list' ? `list ${ctx.where} prefix "${ctx.id}"` : `${ctx.op} blob ${ctx.id} in ${ctx.where}`;

  if (AUTH_CODES.has(code) || code.startsWith('CredentialsProvider')) {
    const missing = code.startsWith('CredentialsProvider');
    return new AuthFailedError(missing ? `no S3 credentials found to ${what}` : `S3 rejected the credentials (${code}) trying to ${what}`, {
      cause,
      hint: missing
        ? 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile) or pass credentials explicitly'
        : 'check the access key ID and secret key (and session token, if any) for this endpoint',
    });
  }
  if (code === 'RequestTimeTooSkewed') {
    return new AuthFailedError(`S3 rejected the request time trying to ${what}: the local clock is off`, {
      cause, hint: 'synchronize the system clock (NTP); S3 allows at most 15 minutes of skew',
    });
  }
  if (code === 'AuthorizationHeaderMalformed' || code === 'PermanentRedirect' || code === 'IllegalLocationConstraintException' || status === 301) {
    return new InvalidStoreUrlError(`S3 refused to ${what}: ${code}; the bucket is probably in another region`, {
      cause, hint: "set the bucket's region in the repository URL (?region=...)",
    });
  }
  if (code === 'NoSuchBucket') return new BucketNotFoundError(ctx.bucket, { cause });
  if (code === 'NoSuchKey' || ((code === 'NotFound' || status === 404) && (ctx.op === 'get' || ctx.op === 'stat'))) {
    return new BlobNotFoundError(ctx.id, ctx.where, { cause });
  }
  if (code === 'PreconditionFailed' || status === 412) {
    if (ctx.op === 'put') return new BlobExistsError(ctx.id, ctx.where, { cause });
  }
  if (code === 'InvalidRange' || status === 416) {
    return new BlobRangeError(ctx.id, `requested range is outside blob ${ctx.id} in ${ctx.where}`, { cause });
  }
  if (code === 'AccessDenied' || code === 'Forbidden' || code === 'AllAccessDisabled' || status === 403) {
    if (ctx.op === 'delete') {
      return new DeleteNotPermittedError(`S3 refused to delete blob ${ctx.id} in ${ctx.where} (${code})`, {
        cause, hint: 'the credentials are append-only or the bucket has object lock; run maintenance with delete-capable credentials',
      });
    }
    return new StoragePermissionError(`S3 denied access trying to ${what} (${code})`, {
      cause, hint: 'grant these credentials s3:GetObject, s3:PutObject and s3:ListBucket on the bucket and prefix',
    });
  }
  if (THROTTLE_CODES.has(code) || (status !== undefined && (status >= 500 || status === 429 || status === 408))) {
    return new StorageUnavailableError(`S3 is unavailable or throttling (${summary}) trying to ${what}`, {
      cause, hint: 'the storage endpoint is overloaded or failing; retry later',
    });
  }
  if (TLS_CODES.has(code)) {
    return new StorageUnavailableError(`TLS handshake with the S3 endpoint failed (${code}) trying to ${what}`, {
      cause, retryable: false,
      hint: "pass the endpoint's CA bundle (?ca=/path/ca.pem) or, for testing only, ?insecure=true",
    });
  }
  if (NETWORK_CODES.has(code) || code === 'TimeoutError' || code === 'RequestTimeoutError' || (status === undefined && /timeout/i.test(code))) {
    return new StorageUnavailableError(`cannot reach the S3 endpoint (${code}) trying to ${what}`, {
      cause, hint: 'check the endpoint address, the network path to it, and that the service is running',
    });
  }
  return new CairnError('INTERNAL', `unexpected S3 error ${summary} trying to ${what}`, { cause });
}
