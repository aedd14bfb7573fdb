// Lease-based leader election (coordination.k8s.io/v1), the client-go algorithm: acquire or renew every
// retryPeriod; a lease held by someone else counts as expired only when its record has not changed for
// leaseDuration as measured by OUR clock (so clock skew between replicas does not matter); a leader that
// cannot renew within renewDeadline steps down. Every write carries the lease's resourceVersion, so two
// candidates can never both win.
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.ts';
import type { Clock } from './clock.ts';
import { sleep } from './clock.ts';
import type { KubeClient } from './kube-client.ts';
import { isAlreadyExists, isConflict, isNotFound } from './kube-client.ts';
import { LEASES } from './resource-type.ts';

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** Give the lease up on stop() so a successor need not wait for it to expire. */
  readonly releaseOnStop?: boolean;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

const microTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly o: LeaderElectionOptions;
  private observed: { record: string; at: number; holder: string } | undefined;
  private leading = false;
  private lastRenew = 0;
  private readonly abort = new AbortController();
  private stopped: Promise<void> = Promise.resolve();

  constructor(client: KubeClient, clock: Clock, log: Logger, opts: LeaderElectionOptions) {
    this.client = client;
    this.clock = clock;
    this.log = log.child({ component: 'leader-election', identity: opts.identity });
    this.o = opts;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(cb: LeaderCallbacks): void {
    this.stopped = this.loop(cb);
  }

  /** Stop campaigning; releases the lease when leading and releaseOnStop is set. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('leader election stopped'));
    await this.stopped;
  }

  private async loop(cb: LeaderCallbacks): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew(cb);
      } catch (e) {
        this.log.warn({ err: e }, 'lease update failed');
      }
      const now = this.clock.now();
      if (ok) {
        this.lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.log.info('became leader');
          cb.onStartedLeading();
        }
      } else if (this.leading && now - this.lastRenew > this.o.renewDeadlineMs) {
        this.leading = false;
        this.log.warn('could not renew the lease in time; stepping down');
        cb.onStoppedLeading();
      }
      try {
        await sleep(this.clock, this.o.retryPeriodMs, signal);
      } catch {
        break;
      }
    }
    if (this.leading) {
      if (this.o.releaseOnStop === true) await this.release();
      this.leading = false;
      cb.onStoppedLeading();
    }
  }

  private async tryAcquireOrRenew(cb: LeaderCallbacks): Promise<boolean> {
    const now = this.clock.now();
    const desired = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(LEASES, this.o.namespace, this.o.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await this.client.create<Lease>(LEASES, this.o.namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { ...desired, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = JSON.stringify([holder, spec.renewTime, spec.leaseDurationSeconds]);
    if (this.observed?.record !== record) {
      this.observed = { record, at: now, holder };
      if (holder !== '' && holder !== this.o.identity) cb.onNewLeader?.(holder);
    }
    const heldByOther = holder !== '' && holder !== this.o.identity;
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (heldByOther && this.observed.at + durationMs > now) return false;
    const acquiring = holder !== this.o.identity;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        ...desired,
        acquireTime: acquiring ? microTime(now) : spec.acquireTime,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (acquiring && holder !== '' ? 1 : 0),
      },
    };
    try {
      await this.client.replace<Lease>(LEASES, this.o.namespace, next);
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.client.get<Lease>(LEASES, this.o.namespace, this.o.name);
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await this.client.replace<Lease>(LEASES, this.o.namespace, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.clock.now()) },
      });
    } catch (e) {
      this.log.warn({ err: e }, 'could not release the lease');
    }
  }
}
