// Test support only (never imported by the operator): an in-memory API server for unit tests of controller
// reconciles. It keeps objects per resource type, assigns uid/resourceVersion/generation/creationTimestamp
// like the API server, answers label and field selectors, records every call, and can be told to fail a
// call. Its caches read the same store, so they are never stale (tests that need a stale cache hide objects).
import type { KubeObject } from '../api/meta.ts';
import type { Caches } from '../operator-context.ts';
import type { Clock } from '../runtime/clock.ts';
import { toRfc3339 } from '../runtime/clock.ts';
import type { ObjectCache } from '../runtime/informer.ts';
import type { KubeClient, ListResult, PatchType, Query, WatchEvent } from '../runtime/kube-client.ts';
import { KubeApiError } from '../runtime/kube-client.ts';
import type { ResourceType } from '../runtime/resource-type.ts';
import { BACKUP_REPOSITORIES, JOBS, PODS, RESTORES, SNAPSHOTS, SNAPSHOT_SCHEDULES } from '../runtime/resource-type.ts';
import type { BackupRepository, Restore, Snapshot, SnapshotSchedule } from '../api/resources.ts';
import type { Job, Pod } from '../api/core-types.ts';

export interface Call {
  readonly verb: 'get' | 'list' | 'create' | 'replace' | 'replaceStatus' | 'patch' | 'delete';
  readonly plural: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly query?: Query;
}

type Failure = { readonly verb: Call['verb']; readonly plural: string; readonly error: KubeApiError; times: number };

const key = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;

/** Does `labels` satisfy a Kubernetes label selector string (=, ==, !=, in, notin, exists, !exists)? */
export function matchesLabelSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (selector === undefined || selector.trim() === '') return true;
  const l = labels ?? {};
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  parts.push(cur.trim());
  return parts.every((p) => {
    const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(p);
    if (set !== null) {
      const values = set[3]!.split(',').map((v) => v.trim());
      const has = l[set[1]!] !== undefined && values.includes(l[set[1]!]!);
      return set[2] === 'in' ? has : !has;
    }
    const ne = /^([^!=]+)!=(.*)$/.exec(p);
    if (ne !== null) return l[ne[1]!.trim()] !== ne[2]!.trim();
    const eq = /^([^!=]+)==?(.*)$/.exec(p);
    if (eq !== null) return l[eq[1]!.trim()] === eq[2]!.trim();
    if (p.startsWith('!')) return l[p.slice(1)] === undefined;
    return l[p] !== undefined;
  });
}

function fieldValue(obj: unknown, path: string): string | undefined {
  let v: unknown = obj;
  for (const k of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v === undefined ? undefined : String(v);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out = new Map(Object.entries(typeof target === 'object' && target !== null && !Array.isArray(target) ? (target as Record<string, unknown>) : {}));
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) out.delete(k);
    else out.set(k, mergePatch(out.get(k), v));
  }
  return Object.fromEntries(out);
}

export class FakeKube implements KubeClient {
  readonly calls: Call[] = [];
  private readonly clock: Clock;
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private readonly failures: Failure[] = [];
  /** Objects the caches pretend not to have seen yet (plural/ns/name). */
  readonly hiddenFromCache = new Set<string>();
  private rv = 1;
  private uid = 1;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Make the next `times` calls of `verb` on `type` fail with `error`. */
  failNext(verb: Call['verb'], type: ResourceType, error: KubeApiError, times = 1): void {
    this.failures.push({ verb, plural: type.plural, error, times });
  }

  private table(type: ResourceType): Map<string, KubeObject> {
    let t = this.store.get(type.plural);
    if (t === undefined) this.store.set(type.plural, (t = new Map()));
    return t;
  }

  private record(call: Call): void {
    this.calls.push(call);
    const f = this.failures.find((x) => x.verb === call.verb && x.plural === call.plural && x.times > 0);
    if (f !== undefined) {
      f.times--;
      throw f.error;
    }
  }

  /** Every stored object of a type (optionally of one namespace), without recording a call. */
  all<T extends KubeObject>(type: ResourceType, namespace?: string): T[] {
    return [...this.table(type).values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace).map((o) => structuredClone(o) as T);
  }

  /** The stored object or undefined, without recording a call. */
  peek<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): T | undefined {
    const o = this.table(type).get(key(namespace, name));
    return o === undefined ? undefined : (structuredClone(o) as T);
  }

  /** Put an object as the API server would store it (for arranging state). */
  seed<T extends KubeObject>(type: ResourceType, obj: T): T {
    return this.store_(type, obj.metadata.namespace, obj, true);
  }

  /** Overwrite a stored object's status (playing a kubelet or the Job controller). */
  setStatus<T extends KubeObject & { status?: unknown }>(type: ResourceType, namespace: string | undefined, name: string, status: T['status']): T {
    const cur = this.table(type).get(key(namespace, name));
    if (cur === undefined) throw new Error(`no ${type.plural} ${namespace ?? ''}/${name}`);
    return this.store_(type, namespace, { ...cur, status } as T, false);
  }

  private store_<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T, fresh: boolean): T {
    const copy = structuredClone(obj);
    copy.apiVersion ??= type.apiVersion;
    copy.kind ??= type.kind;
    copy.metadata.namespace = type.namespaced ? namespace : undefined;
    if (fresh) {
      copy.metadata.uid ??= `uid-${this.uid++}`;
      copy.metadata.creationTimestamp ??= toRfc3339(this.clock.now());
      copy.metadata.generation ??= 1;
    }
    copy.metadata.resourceVersion = String(this.rv++);
    this.table(type).set(key(namespace, copy.metadata.name!), copy);
    return structuredClone(copy);
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    this.record({ verb: 'get', plural: type.plural, namespace, name });
    const o = this.peek<T>(type, namespace, name);
    if (o === undefined) return Promise.reject(new KubeApiError(404, 'NotFound', `${type.plural} "${name}" not found`));
    return Promise.resolve(o);
  }

  list<T extends KubeObject>(type: ResourceType, namespace?: string, query?: Query): Promise<ListResult<T>> {
    this.record({ verb: 'list', plural: type.plural, namespace, query });
    const labelSelector = query?.['labelSelector'] as string | undefined;
    const fields = ((query?.['fieldSelector'] as string | undefined) ?? '').split(',').filter((f) => f !== '').map((f) => f.split('=') as [string, string]);
    const items = this.all<T>(type, namespace).filter(
      (o) => matchesLabelSelector(o.metadata.labels, labelSelector) && fields.every(([path, want]) => fieldValue(o, path) === want),
    );
    return Promise.resolve({ items, resourceVersion: String(this.rv) });
  }

  create<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T> {
    this.record({ verb: 'create', plural: type.plural, namespace, name: obj.metadata.name });
    if (this.table(type).has(key(namespace, obj.metadata.name!))) {
      return Promise.reject(new KubeApiError(409, 'AlreadyExists', `${type.plural} "${obj.metadata.name ?? ''}" already exists`));
    }
    const { status: _drop, ...rest } = obj as T & { status?: unknown };
    return Promise.resolve(this.store_(type, namespace, rest as T, true));
  }

  replace<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T> {
    this.record({ verb: 'replace', plural: type.plural, namespace, name: obj.metadata.name });
    return Promise.resolve(this.store_(type, namespace, obj, false));
  }

  replaceStatus<T extends KubeObject>(type: ResourceType, namespace: string | undefined, obj: T): Promise<T> {
    this.record({ verb: 'replaceStatus', plural: type.plural, namespace, name: obj.metadata.name });
    const cur = this.table(type).get(key(namespace, obj.metadata.name!));
    if (cur === undefined) return Promise.reject(new KubeApiError(404, 'NotFound', `${type.plural} "${obj.metadata.name ?? ''}" not found`));
    if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      return Promise.reject(new KubeApiError(409, 'Conflict', 'the object has been modified'));
    }
    return Promise.resolve(this.store_(type, namespace, { ...cur, status: (obj as T & { status?: unknown }).status } as unknown as T, false));
  }

  patch<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, patch: unknown, _kind?: PatchType, subresource?: string): Promise<T> {
    this.record({ verb: 'patch', plural: type.plural, namespace, name });
    const cur = this.table(type).get(key(namespace, name));
    if (cur === undefined) return Promise.reject(new KubeApiError(404, 'NotFound', `${type.plural} "${name}" not found`));
    const next = mergePatch(cur, subresource === 'status' ? { status: (patch as { status?: unknown }).status } : patch) as T;
    return Promise.resolve(this.store_(type, namespace, next, false));
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    this.record({ verb: 'delete', plural: type.plural, namespace, name });
    if (!this.table(type).delete(key(namespace, name))) return Promise.reject(new KubeApiError(404, 'NotFound', `${type.plural} "${name}" not found`));
    if (type.plural === JOBS.plural) {
      // Background propagation: the Job's pods go with it.
      for (const [k, p] of this.table(PODS)) if (p.metadata.labels?.['batch.kubernetes.io/job-name'] === name && p.metadata.namespace === namespace) this.table(PODS).delete(k);
    }
    return Promise.resolve();
  }

  watch(_type: ResourceType, _ns: string | undefined, _q: Query, _on: (e: WatchEvent) => void, _signal: AbortSignal): Promise<void> {
    return Promise.reject(new Error('FakeKube does not serve watches; controllers read its caches'));
  }

  private cache<T extends KubeObject>(type: ResourceType, labelSelector?: string): ObjectCache<T> {
    const visible = (o: T): boolean => !this.hiddenFromCache.has(`${type.plural}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`) && matchesLabelSelector(o.metadata.labels, labelSelector);
    return {
      get: (ns, name) => {
        const o = this.peek<T>(type, ns, name);
        return o !== undefined && visible(o) ? o : undefined;
      },
      list: (ns) => this.all<T>(type, ns).filter(visible),
    };
  }

  /** Caches as the operator builds them (Jobs and Pods only with the managed-by label). */
  caches(): Caches {
    const managed = 'app.kubernetes.io/managed-by=cairn-operator';
    return {
      repositories: this.cache<BackupRepository>(BACKUP_REPOSITORIES),
      schedules: this.cache<SnapshotSchedule>(SNAPSHOT_SCHEDULES),
      restores: this.cache<Restore>(RESTORES),
      snapshots: this.cache<Snapshot>(SNAPSHOTS),
      jobs: this.cache<Job>(JOBS, managed),
      pods: this.cache<Pod>(PODS, managed),
    };
  }
}
