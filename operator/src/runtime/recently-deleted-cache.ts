// A cache that also remembers objects for a while after they were deleted. Mover pods need it: a pod
// deleted mid-run leaves its result (the termination message: INTERRUPTED) in its last state, and the Job
// controller lets the pod object go as soon as it has counted it, often before the operator reads the
// result. Only the pods cache uses this; a deleted Job must look deleted (that is how a lost Job is found).
import type { KubeObject } from '../api/meta.ts';
import type { Clock } from './clock.ts';
import type { InformerHandlers, ObjectCache } from './informer.ts';
import { objectKey } from './informer.ts';

export interface WatchedCache<T extends KubeObject> extends ObjectCache<T> {
  addHandlers(h: InformerHandlers<T>): void;
}

export class RecentlyDeletedCache<T extends KubeObject> implements ObjectCache<T> {
  private readonly inner: WatchedCache<T>;
  private readonly clock: Clock;
  private readonly keepMs: number;
  private readonly max: number;
  private readonly deleted = new Map<string, { obj: T; at: number }>();

  constructor(inner: WatchedCache<T>, clock: Clock, keepMs = 10 * 60_000, max = 5_000) {
    this.inner = inner;
    this.clock = clock;
    this.keepMs = keepMs;
    this.max = max;
    inner.addHandlers({
      onAdd: (o) => this.deleted.delete(objectKey(o)),
      onDelete: (o) => this.remember(o),
    });
  }

  private remember(obj: T): void {
    const now = this.clock.now();
    this.deleted.delete(objectKey(obj));
    this.deleted.set(objectKey(obj), { obj, at: now });
    // Oldest first (insertion order): drop what expired, and the oldest beyond the bound.
    for (const [k, v] of this.deleted) {
      if (now - v.at <= this.keepMs && this.deleted.size <= this.max) break;
      this.deleted.delete(k);
    }
  }

  private recent(namespace: string | undefined): T[] {
    const now = this.clock.now();
    return [...this.deleted.values()].filter((d) => now - d.at <= this.keepMs && (namespace === undefined || d.obj.metadata.namespace === namespace)).map((d) => d.obj);
  }

  /** The live object; a deleted one is not returned by get. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.inner.get(namespace, name);
  }

  /** Live objects plus those deleted within the last keepMs (unless a live one took the name again). */
  list(namespace?: string): T[] {
    const live = this.inner.list(namespace);
    const names = new Set(live.map(objectKey));
    return [...live, ...this.recent(namespace).filter((o) => !names.has(objectKey(o)))];
  }
}
