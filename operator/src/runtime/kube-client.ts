// A narrow REST client for the Kubernetes API on top of @kubernetes/client-node's KubeConfig (which
// handles kubeconfig files, in-cluster config, client certificates, tokens and exec plugins). We speak
// plain JSON over node:https so that resourceVersion preconditions, patch content types, the status
// subresource and watch streams are explicit, and so controllers depend on an interface tests can fake.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../api/meta.ts';
import type { ResourceType } from './resource-type.ts';
import { resourcePath } from './resource-type.ts';

export class KubeApiError extends Error {
  readonly status: number;
  /** metav1.Status reason: NotFound, AlreadyExists, Conflict, Invalid, Forbidden, Expired, Gone ... */
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409 && e.reason === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && (e.status === 410 || e.reason === 'Expired');

export interface ListResult<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject & { code?: number; reason?: string; message?: string };
}

export type Query = Record<string, string | number | boolean | undefined>;

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

/** What controllers and the runtime need from the API server. */
export interface KubeClient {
  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject>(type: ResourceType, namespace?: string, query?: Query): Promise<ListResult<T>>;
  create<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T>;
  replace<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T>;
  replaceStatus<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T>;
  patch<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, patch: unknown, kind?: PatchType, subresource?: string): Promise<T>;
  delete(type: ResourceType, namespace: string | undefined, name: string, opts?: { propagationPolicy?: string; uid?: string }): Promise<void>;
  /** Stream watch events until the server closes the stream or `signal` aborts. */
  watch(type: ResourceType, namespace: string | undefined, query: Query, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void>;
}

const CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

export interface HttpKubeClientOptions {
  /** Per-request timeout for non-watch calls. */
  readonly timeoutMs?: number;
  /** Sent as the User-Agent, so audit logs name the operator. */
  readonly userAgent?: string;
}

export class HttpKubeClient implements KubeClient {
  private readonly kc: KubeConfig;
  private readonly server: string;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(kc: KubeConfig, opts: HttpKubeClientOptions = {}) {
    this.kc = kc;
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/$/, '');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? 'cairn-operator';
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.json<T>('GET', resourcePath(type, namespace, name));
  }

  async list<T extends KubeObject>(type: ResourceType, namespace?: string, query?: Query): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string;
    do {
      const page = await this.json<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>(
        'GET',
        resourcePath(type, namespace) + queryString({ ...query, limit: 500, continue: cont }),
      );
      for (const item of page.items) items.push({ apiVersion: type.apiVersion, kind: type.kind, ...item });
      rv = page.metadata.resourceVersion;
      cont = page.metadata.continue !== '' ? page.metadata.continue : undefined;
    } while (cont !== undefined);
    return { items, resourceVersion: rv };
  }

  async create<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T> {
    return this.json<T>('POST', resourcePath(type, namespace), obj);
  }

  async replace<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T> {
    return this.json<T>('PUT', resourcePath(type, namespace, obj.metadata.name), obj);
  }

  async replaceStatus<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T> {
    return this.json<T>('PUT', resourcePath(type, namespace, obj.metadata.name, 'status'), obj);
  }

  async patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    kind: PatchType = 'merge',
    subresource?: string,
  ): Promise<T> {
    const q = kind === 'apply' ? '?fieldManager=cairn-operator&force=true' : '';
    return this.json<T>('PATCH', resourcePath(type, namespace, name, subresource) + q, patch, CONTENT_TYPES[kind]);
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, opts: { propagationPolicy?: string; uid?: string } = {}): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: opts.propagationPolicy ?? 'Background',
      ...(opts.uid !== undefined ? { preconditions: { uid: opts.uid } } : {}),
    };
    await this.json('DELETE', resourcePath(type, namespace, name), body);
  }

  async watch(type: ResourceType, namespace: string | undefined, query: Query, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const res = await this.send('GET', resourcePath(type, namespace) + queryString({ ...query, watch: 1 }), undefined, undefined, signal, true);
    if (res.statusCode !== 200) {
      throw await errorFrom(res);
    }
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          try {
            onEvent(JSON.parse(line) as WatchEvent);
          } catch (e) {
            res.destroy();
            reject(e as Error);
            return;
          }
        }
      });
      res.on('end', () => resolve());
      res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      res.on('aborted', () => resolve());
      signal.addEventListener('abort', () => {
        res.destroy();
        resolve();
      });
    });
  }

  private async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await this.send(method, path, body, contentType);
    const text = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw parseError(res.statusCode ?? 0, text, method, path);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  private async send(method: string, path: string, body: unknown, contentType?: string, signal?: AbortSignal, stream = false): Promise<http.IncomingMessage> {
    const opts: https.RequestOptions = { method, headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const headers = opts.headers as Record<string, string>;
    headers['Accept'] = 'application/json';
    headers['User-Agent'] = this.userAgent;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const url = new URL(this.server + path);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { ...opts, signal }, resolve);
      req.on('error', reject);
      if (!stream) {
        req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out after ${this.timeoutMs}ms`)));
      }
      req.end(payload);
    });
  }
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

async function errorFrom(res: http.IncomingMessage): Promise<KubeApiError> {
  return parseError(res.statusCode ?? 0, await readAll(res), 'WATCH', '');
}

function parseError(status: number, text: string, method: string, path: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, s.reason ?? String(status), s.message ?? `${method} ${path}: HTTP ${status}`);
  } catch {
    return new KubeApiError(status, String(status), `${method} ${path}: HTTP ${status}: ${text.slice(0, 200)}`);
  }
}
