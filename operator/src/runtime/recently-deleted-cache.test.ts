import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/meta.ts';
import { FakeClock } from './fake-clock.ts';
import type { InformerHandlers } from './informer.ts';
import { RecentlyDeletedCache } from './recently-deleted-cache.ts';

class TinyCache {
  readonly items = new Map<string, KubeObject>();
  private handlers: InformerHandlers<KubeObject>[] = [];
  addHandlers(h: InformerHandlers<KubeObject>): void {
    this.handlers.push(h);
  }
  get(ns: string | undefined, name: string): KubeObject | undefined {
    return this.items.get(`${ns ?? ''}/${name}`);
  }
  list(ns?: string): KubeObject[] {
    return [...this.items.values()].filter((o) => ns === undefined || o.metadata.namespace === ns);
  }
  add(o: KubeObject): void {
    this.items.set(`${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`, o);
    for (const h of this.handlers) h.onAdd?.(o);
  }
  remove(o: KubeObject): void {
    this.items.delete(`${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);
    for (const h of this.handlers) h.onDelete?.(o);
  }
}

const pod = (name: string, message = ''): KubeObject & { status: { message: string } } => ({ metadata: { name, namespace: 'ns' }, status: { message } });

describe('RecentlyDeletedCache', () => {
  it('lists a deleted pod (with its last state) for a while, but never gets it', () => {
    const clock = new FakeClock(0);
    const inner = new TinyCache();
    const cache = new RecentlyDeletedCache(inner, clock, 60_000);
    inner.add(pod('a'));
    inner.remove(pod('a', 'INTERRUPTED'));
    expect(cache.list('ns')).toEqual([pod('a', 'INTERRUPTED')]);
    expect(cache.list('other')).toEqual([]);
    expect(cache.get('ns', 'a')).toBeUndefined();
    clock.advance(60_001);
    expect(cache.list('ns')).toEqual([]);
  });

  it('prefers a live object of the same name and stays bounded', () => {
    const clock = new FakeClock(0);
    const inner = new TinyCache();
    const cache = new RecentlyDeletedCache(inner, clock, 60_000, 2);
    inner.remove(pod('a', 'old'));
    inner.add(pod('a', 'new'));
    expect(cache.list('ns')).toEqual([pod('a', 'new')]);
    for (const n of ['b', 'c', 'd']) inner.remove(pod(n));
    expect(cache.list('ns').map((o) => o.metadata.name).sort()).toEqual(['a', 'c', 'd']);
  });
});
