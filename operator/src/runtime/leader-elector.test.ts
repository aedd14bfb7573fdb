import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/meta.ts';
import { FakeClock } from './fake-clock.ts';
import type { KubeClient } from './kube-client.ts';
import { KubeApiError } from './kube-client.ts';
import { LeaderElector } from './leader-elector.ts';

/** An in-memory Lease with resourceVersion preconditions, like the API server's. */
class LeaseStore {
  lease: (KubeObject & { spec?: Record<string, unknown> }) | undefined;
  rv = 0;
  down = false;
  client(): KubeClient {
    const check = (): void => {
      if (this.down) throw new Error('connection refused');
    };
    return {
      get: async () => {
        check();
        if (this.lease === undefined) throw new KubeApiError(404, 'NotFound', 'leases "x" not found');
        return structuredClone(this.lease);
      },
      create: async (_t: unknown, _ns: unknown, o: KubeObject) => {
        check();
        if (this.lease !== undefined) throw new KubeApiError(409, 'AlreadyExists', 'exists');
        this.lease = { ...structuredClone(o), metadata: { ...o.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease);
      },
      replace: async (_t: unknown, _ns: unknown, o: KubeObject) => {
        check();
        if (o.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw new KubeApiError(409, 'Conflict', 'modified');
        this.lease = { ...structuredClone(o), metadata: { ...o.metadata, resourceVersion: String(++this.rv) } };
        return structuredClone(this.lease);
      },
    } as unknown as KubeClient;
  }
  get holder(): unknown {
    return this.lease?.spec?.['holderIdentity'];
  }
}

const opts = { namespace: 'ns', name: 'lease', leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
async function run(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead and hands over after the lease expires', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(0);
    const log = pino({ level: 'silent' });
    const leading = new Set<string>();
    const mk = (id: string): LeaderElector => {
      const e = new LeaderElector(store.client(), clock, log, { ...opts, identity: id });
      e.start({ onStartedLeading: () => leading.add(id), onStoppedLeading: () => leading.delete(id) });
      return e;
    };
    const a = mk('a');
    await flush();
    const b = mk('b');
    await run(clock, 5_000);
    expect([...leading]).toEqual(['a']);
    expect(store.holder).toBe('a');
    // a dies without releasing: b must wait a full lease duration of unchanged record, then take over.
    const killedAt = clock.now();
    await a.stop();
    leading.delete('a');
    await run(clock, 3_000);
    expect(leading.has('b')).toBe(false);
    await run(clock, 2_000);
    expect(leading.has('b')).toBe(true);
    expect(store.holder).toBe('b');
    expect(clock.now() - killedAt).toBeLessThanOrEqual(opts.leaseDurationMs + 2 * opts.retryPeriodMs);
    expect(store.lease?.spec?.['leaseTransitions']).toBe(1);
    await b.stop();
  });

  it('steps down when it cannot renew within the deadline, and releases on stop when asked', async () => {
    const store = new LeaseStore();
    const clock = new FakeClock(0);
    const events: string[] = [];
    const e = new LeaderElector(store.client(), clock, pino({ level: 'silent' }), { ...opts, identity: 'a', releaseOnStop: true });
    e.start({ onStartedLeading: () => events.push('start'), onStoppedLeading: () => events.push('stop') });
    await run(clock, 1_000);
    expect(events).toEqual(['start']);
    store.down = true;
    await run(clock, 2_500);
    expect(events).toEqual(['start']); // still within renewDeadline
    await run(clock, 1_500);
    expect(events).toEqual(['start', 'stop']);
    store.down = false;
    await run(clock, 1_000);
    expect(events).toEqual(['start', 'stop', 'start']);
    const stopping = e.stop();
    await run(clock, 200);
    await stopping;
    expect(store.holder).toBe('');
    expect(store.lease?.spec?.['leaseDurationSeconds']).toBe(1);
  });
});
