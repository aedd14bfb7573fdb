// The S3 client's HTTP handler: ranged GETs of 1 MiB or more (the pack reads of restore and verify) go through
// undici, every other request through the SDK's NodeHttpHandler.
//
// Why two clients: Node's http client allocates two buffers for every socket read of a response (the read
// itself, and the parser's copy of the body part), and V8 counts those as external memory, starting a full
// mark-compact of the main heap each time another 64 MiB of them has been allocated: restoring a 2 GiB file from
// S3 ran 71-74 of them, and V8's marking threads and the main thread's copies took ~28% of the machine's samples
// (perf) on the two cores the restore shares with its writers. undici hands its body parts over as views of the
// socket's read buffer: one allocation per read instead of two (53-66 mark-compacts: it still concatenates the
// reads that queued while the thread was busy). The same restore from loopback MinIO, 7 alternated pairs: wall
// A/B 0.87, user CPU 5.7 -> 4.9 s.
// The rest stays on Node's client: uploads use `Expect: 100-continue`, which undici does not support, and undici
// (~70 ms to load) is loaded only by runs that read a large range.
import { buildQueryString, HttpResponse, type HttpHandler, type HttpHandlerOptions, type HttpRequest } from '@smithy/core/protocols';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Agent, Dispatcher } from 'undici';

/** Ranges at least this long go through undici. */
export const LARGE_RANGE_BYTES = 1024 * 1024;

export interface S3HttpHandlerOptions {
  readonly connectTimeoutMs: number;
  /** Longest wait for the response's headers, and between two parts of its body. */
  readonly socketTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxSockets: number;
  readonly ca?: string | Buffer | undefined;
  readonly insecure?: boolean | undefined;
}

/** Length of the range a `Range: bytes=a-b` header asks for, or undefined for any other form. */
export function requestedRangeBytes(range: string | undefined): number | undefined {
  const m = range === undefined ? null : /^bytes=(\d+)-(\d+)$/.exec(range);
  if (m === null) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  return Number.isSafeInteger(first) && Number.isSafeInteger(last) && last >= first ? last - first + 1 : undefined;
}

function rangeHeader(headers: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'range') return v;
  return undefined;
}

export class S3HttpHandler implements HttpHandler<object> {
  private readonly node: NodeHttpHandler;
  private readonly options: S3HttpHandlerOptions;
  private agent: Promise<Agent> | undefined;

  constructor(node: NodeHttpHandler, options: S3HttpHandlerOptions) {
    this.node = node;
    this.options = options;
  }

  /** Whether `request` goes through undici. */
  static readsLargeRange(request: HttpRequest): boolean {
    return request.method === 'GET' && (requestedRangeBytes(rangeHeader(request.headers)) ?? 0) >= LARGE_RANGE_BYTES;
  }

  handle(request: HttpRequest, options?: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
    return S3HttpHandler.readsLargeRange(request) ? this.readRange(request, options) : this.node.handle(request, options);
  }

  private undici(): Promise<Agent> {
    this.agent ??= import('undici').then(({ Agent }) => new Agent({
      connections: this.options.maxSockets,
      headersTimeout: this.options.socketTimeoutMs,
      bodyTimeout: this.options.socketTimeoutMs,
      connect: {
        timeout: this.options.connectTimeoutMs,
        ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
        ...(this.options.insecure === true ? { rejectUnauthorized: false } : {}),
      },
    }));
    return this.agent;
  }

  private async readRange(request: HttpRequest, options: HttpHandlerOptions | undefined): Promise<{ response: HttpResponse }> {
    const agent = await this.undici();
    const query = buildQueryString(request.query ?? {});
    const host = request.hostname.includes(':') && !request.hostname.startsWith('[') ? `[${request.hostname}]` : request.hostname;
    // the whole request, body included, within the request timeout; the timer ends with the body (a restore or
    // verify sends thousands of ranges: AbortSignal.timeout's timers would each live the full timeout)
    const timeoutMs = options?.requestTimeout ?? this.options.requestTimeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException(`request timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    timer.unref();
    const caller = options?.abortSignal;
    const signal = caller instanceof AbortSignal ? AbortSignal.any([caller, deadline.signal]) : deadline.signal;
    let res: Dispatcher.ResponseData;
    try {
      res = await agent.request({
        origin: `${request.protocol}//${host}${request.port === undefined ? '' : `:${request.port}`}`,
        path: `${request.path}${query === '' ? '' : `?${query}`}`,
        method: 'GET',
        headers: request.headers,
        signal,
      });
    } catch (e) {
      clearTimeout(timer);
      throw e;
    }
    res.body.once('close', () => clearTimeout(timer));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return { response: new HttpResponse({ statusCode: res.statusCode, headers, body: res.body }) };
  }

  updateHttpClientConfig(key: never, value: never): void {
    this.node.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs(): object {
    return this.node.httpHandlerConfigs();
  }

  destroy(): void {
    this.node.destroy();
    // sockets still open close with the agent; nothing waits on them once the store is closed
    void this.agent?.then((a) => a.destroy()).catch(() => undefined);
  }
}
