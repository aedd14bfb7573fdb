import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/meta.ts';
import { FakeClock } from './fake-clock.ts';
import { Informer } from './informer.ts';
import type { KubeClient, ListResult, Query, WatchEvent } from './kube-client.ts';
import { KubeApiError } from './kube-client.ts';
import { PODS } from './resource-type.ts';

const obj = (name: string, rv: string): KubeObject => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

/** A fake API: list returns `items`; each watch call runs the next scripted behaviour. */
class FakeApi {
  items: KubeObject[] = [];
  lists = 0;
  watches: ((onEvent: (e: WatchEvent) => void, signal: AbortSignal) => Promise<void>)[] = [];
  client(): KubeClient {
    return {
      list: async <T extends KubeObject>(): Promise<ListResult<T>> => {
        this.lists++;
        return { items: structuredClone(this.items) as T[], resourceVersion: String(this.lists * 100) };
      },
      watch: async (_t: unknown, _ns: unknown, _q: Query, onEvent: (e: WatchEvent) => void, signal: AbortSignal) => {
        const next = this.watches.shift();
        if (next === undefined) {
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          return;
        }
        await next(onEvent, signal);
      },
    } as unknown as KubeClient;
  }
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('Informer', () => {
  it('lists, applies watch events and relists after a watch error', async () => {
    const api = new FakeApi();
    api.items = [obj('a', '1')];
    api.watches.push(async (on) => {
      on({ type: 'ADDED', object: obj('b', '101') });
      on({ type: 'MODIFIED', object: obj('a', '102') });
      throw new Error('connection reset');
    });
    const clock = new FakeClock(0);
    const inf = new Informer<KubeObject>(api.client(), PODS, clock, pino({ level: 'silent' }));
    const seen: string[] = [];
    inf.addHandlers({ onAdd: (o) => seen.push(`add ${o.metadata.name!}`), onUpdate: (o) => seen.push(`update ${o.metadata.name!}`), onDelete: (o) => seen.push(`delete ${o.metadata.name!}`) });
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(seen).toEqual(['add a', 'add b', 'update a']);
    expect(api.lists).toBe(1);
    // b vanished while the watch was broken: the relist after backoff must notice.
    api.items = [obj('a', '102')];
    clock.advance(1_000);
    await settle();
    expect(api.lists).toBe(2);
    expect(seen).toContain('delete b');
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['a']);
    inf.stop();
  });

  it('relists on 410 Gone and periodically', async () => {
    const api = new FakeApi();
    api.items = [obj('a', '1')];
    api.watches.push(async (on) => on({ type: 'ERROR', object: { metadata: {}, code: 410, reason: 'Expired', message: 'too old' } }));
    const clock = new FakeClock(0);
    const inf = new Informer<KubeObject>(api.client(), PODS, clock, pino({ level: 'silent' }), { relistMs: 60_000 });
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(api.lists).toBe(2); // immediate relist after Gone, no backoff
    clock.advance(61_000);
    await settle();
    clock.advance(5_000);
    await settle();
    expect(api.lists).toBe(3);
    inf.stop();
  });

  it('turns watch ERROR events other than Gone into a restart', async () => {
    const api = new FakeApi();
    api.watches.push(async (on) => on({ type: 'ERROR', object: { metadata: {}, code: 500, reason: 'InternalError', message: 'boom' } }));
    const clock = new FakeClock(0);
    const inf = new Informer<KubeObject>(api.client(), PODS, clock, pino({ level: 'silent' }));
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(api.lists).toBe(1);
    clock.advance(1_000);
    await settle();
    expect(api.lists).toBe(2);
    inf.stop();
    expect(new KubeApiError(410, 'Expired', 'x').status).toBe(410);
  });
});
