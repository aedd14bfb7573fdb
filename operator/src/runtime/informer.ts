// List+watch cache of one resource type. Restarts after any error with capped backoff, relists on 410 Gone
// and every `relistMs` anyway (so a missed event heals), and calls handlers for each change. The cache is
// what reconcilers read instead of hitting the API server.
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.ts';
import type { Clock } from './clock.ts';
import { sleep } from './clock.ts';
import type { KubeClient, Query, WatchEvent } from './kube-client.ts';
import { isGone, KubeApiError } from './kube-client.ts';
import type { ResourceType } from './resource-type.ts';

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Full relist period; also bounds each watch call. */
  readonly relistMs?: number;
  readonly maxBackoffMs?: number;
}

/** What reconcilers read: a namespace-indexed, possibly slightly stale view of one resource type. */
export interface ObjectCache<T extends KubeObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  /** Every object, or those of one namespace. */
  list(namespace?: string): T[];
}

export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns !== undefined && ns !== '' ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

export class Informer<T extends KubeObject> implements ObjectCache<T> {
  readonly type: ResourceType;
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly opts: Required<Omit<InformerOptions, 'namespace' | 'labelSelector'>> & InformerOptions;
  private readonly store = new Map<string, T>();
  /** namespace -> key -> object, so list(ns) does not scan every object of the cluster. */
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private abort = new AbortController();
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  /** Count of list calls made (restarts included), for tests and metrics. */
  lists = 0;

  constructor(client: KubeClient, type: ResourceType, clock: Clock, log: Logger, opts: InformerOptions = {}) {
    this.client = client;
    this.type = type;
    this.clock = clock;
    this.log = log.child({ informer: type.plural });
    this.opts = { relistMs: 10 * 60_000, maxBackoffMs: 30_000, ...opts };
  }

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace !== undefined && namespace !== '' ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.store.values()];
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  private put(key: string, obj: T): void {
    this.store.set(key, obj);
    const ns = obj.metadata.namespace ?? '';
    let m = this.byNamespace.get(ns);
    if (m === undefined) this.byNamespace.set(ns, (m = new Map()));
    m.set(key, obj);
  }

  private remove(key: string, obj: T): void {
    this.store.delete(key);
    const ns = obj.metadata.namespace ?? '';
    const m = this.byNamespace.get(ns);
    m?.delete(key);
    if (m?.size === 0) this.byNamespace.delete(ns);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    this.abort = new AbortController();
    void this.run(this.abort.signal);
  }

  stop(): void {
    this.abort.abort(new Error('informer stopped'));
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const rv = await this.relist();
        failures = 0;
        await this.watchFrom(rv, signal);
      } catch (e) {
        if (signal.aborted) break;
        failures++;
        const delay = Math.min(this.opts.maxBackoffMs, 500 * 2 ** Math.min(failures, 10));
        this.log.warn({ err: e, retryInMs: delay }, 'list/watch failed; restarting');
        try {
          await sleep(this.clock, delay, signal);
        } catch {
          break;
        }
      }
    }
  }

  private query(): Query {
    return { labelSelector: this.opts.labelSelector };
  }

  /** List everything and reconcile the cache with it, emitting adds, updates and deletes. */
  private async relist(): Promise<string> {
    this.lists++;
    const { items, resourceVersion } = await this.client.list<T>(this.type, this.opts.namespace, this.query());
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      this.apply('MODIFIED', item);
    }
    for (const [key, old] of [...this.store]) {
      if (!seen.has(key)) {
        this.remove(key, old);
        for (const h of this.handlers) h.onDelete?.(old);
      }
    }
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    return resourceVersion;
  }

  /** Watch until the relist deadline; returns normally when it is time to relist. */
  private async watchFrom(startRv: string, signal: AbortSignal): Promise<void> {
    let rv = startRv;
    const deadline = this.clock.now() + this.opts.relistMs;
    while (!signal.aborted && this.clock.now() < deadline) {
      const remaining = Math.max(1, Math.floor((deadline - this.clock.now()) / 1000));
      const watchAbort = new AbortController();
      const onOuter = (): void => watchAbort.abort();
      signal.addEventListener('abort', onOuter, { once: true });
      const timer = this.clock.setTimer(remaining * 1000 + 5_000, () => watchAbort.abort());
      let gone = false;
      try {
        await this.client.watch(
          this.type,
          this.opts.namespace,
          { ...this.query(), resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: Math.min(remaining, 300) },
          (e: WatchEvent) => {
            if (e.type === 'ERROR') {
              if (e.object.code === 410) gone = true;
              else throw new KubeApiError(e.object.code ?? 500, e.object.reason ?? 'WatchError', e.object.message ?? 'watch error');
              watchAbort.abort();
              return;
            }
            const objRv = e.object.metadata.resourceVersion;
            if (objRv !== undefined) rv = objRv;
            if (e.type !== 'BOOKMARK') this.apply(e.type, { apiVersion: this.type.apiVersion, kind: this.type.kind, ...e.object } as T);
          },
          watchAbort.signal,
        );
      } catch (e) {
        if (isGone(e)) return;
        throw e;
      } finally {
        timer.cancel();
        signal.removeEventListener('abort', onOuter);
      }
      if (gone) return;
    }
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    const key = objectKey(obj);
    const old = this.store.get(key);
    if (type === 'DELETED') {
      if (old !== undefined) this.remove(key, old);
      for (const h of this.handlers) h.onDelete?.(obj);
      return;
    }
    this.put(key, obj);
    if (old === undefined) {
      for (const h of this.handlers) h.onAdd?.(obj);
    } else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      for (const h of this.handlers) h.onUpdate?.(obj, old);
    }
  }
}
