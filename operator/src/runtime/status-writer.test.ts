import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/meta.ts';
import { FakeClock } from './fake-clock.ts';
import type { KubeClient } from './kube-client.ts';
import { KubeApiError } from './kube-client.ts';
import { StatusWriter } from './status-writer.ts';
import { SNAPSHOT_SCHEDULES } from './resource-type.ts';

type Obj = KubeObject & { status?: { n?: number; other?: string } };

describe('StatusWriter', () => {
  it('re-reads and re-applies the mutation after a conflict', async () => {
    const stored: Obj = { metadata: { name: 'x', namespace: 'ns', resourceVersion: '2' }, status: { other: 'kept' } };
    const puts: Obj[] = [];
    const client = {
      replaceStatus: async (_t: unknown, _ns: unknown, o: Obj) => {
        puts.push(o);
        if (o.metadata.resourceVersion !== stored.metadata.resourceVersion) throw new KubeApiError(409, 'Conflict', 'the object has been modified');
        return { ...o, metadata: { ...o.metadata, resourceVersion: '3' } };
      },
      get: async () => structuredClone(stored),
    } as unknown as KubeClient;
    const clock = new FakeClock(0);
    const w = new StatusWriter(client, { now: () => 0, setTimer: (_ms, fn) => (queueMicrotask(fn), { cancel() {} }) });
    const stale: Obj = { metadata: { name: 'x', namespace: 'ns', resourceVersion: '1' }, status: {} };
    const out = await w.update(SNAPSHOT_SCHEDULES, stale, (cur) => ({ ...cur.status, n: 1 }));
    expect(puts).toHaveLength(2);
    expect(out.status).toEqual({ other: 'kept', n: 1 });
    expect(clock.now()).toBe(0);
  });

  it('writes nothing when the status is unchanged', async () => {
    const client = { replaceStatus: async () => expect.fail('no write expected') } as unknown as KubeClient;
    const w = new StatusWriter(client, new FakeClock(0));
    const o: Obj = { metadata: { name: 'x' }, status: { n: 1 } };
    expect(await w.update(SNAPSHOT_SCHEDULES, o, (cur) => ({ ...cur.status }))).toBe(o);
    expect(w.writes).toBe(0);
  });

  it('gives up after the attempt limit', async () => {
    const client = {
      replaceStatus: async () => {
        throw new KubeApiError(409, 'Conflict', 'modified');
      },
      get: async () => ({ metadata: { name: 'x' }, status: {} }),
    } as unknown as KubeClient;
    const w = new StatusWriter(client, { now: () => 0, setTimer: (_ms, fn) => (queueMicrotask(fn), { cancel() {} }) }, 3);
    await expect(w.update(SNAPSHOT_SCHEDULES, { metadata: { name: 'x' } } as Obj, (): Obj['status'] => ({ n: 2 }))).rejects.toThrow(/modified/);
    expect(w.writes).toBe(3);
  });
});
