// Kubernetes Events (events.k8s.io/v1) for every state change and error, so `kubectl describe` tells the
// story. Repeats of the same event for the same object within a window are folded into a series count
// instead of new objects (the API server and etcd stay quiet on hot loops).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.ts';
import type { Clock } from './clock.ts';
import type { KubeClient } from './kube-client.ts';
import { EVENTS } from './resource-type.ts';

export type EventType = 'Normal' | 'Warning';

export interface RecordedEvent {
  readonly regarding: string;
  readonly type: EventType;
  readonly reason: string;
  readonly note: string;
}

const SERIES_WINDOW_MS = 10 * 60_000;
const microTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly instance: string;
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; first: number; last: number }>();

  constructor(client: KubeClient, clock: Clock, log: Logger, instance: string) {
    this.client = client;
    this.clock = clock;
    this.log = log.child({ component: 'events' });
    this.instance = instance;
  }

  /** Fire and forget: an event that cannot be written is logged, never fails a reconcile. */
  record(obj: KubeObject, type: EventType, reason: string, note: string, action = reason): void {
    void this.write(obj, type, reason, note.slice(0, 1000), action).catch((e: unknown) =>
      this.log.warn({ err: e, reason }, 'could not write event'),
    );
  }

  private async write(obj: KubeObject, type: EventType, reason: string, note: string, action: string): Promise<void> {
    const now = this.clock.now();
    const namespace = obj.metadata.namespace ?? 'default';
    const key = `${obj.metadata.uid ?? ''}|${type}|${reason}|${note}`;
    const prev = this.recent.get(key);
    this.log.info({ regarding: `${obj.kind ?? ''}/${namespace}/${obj.metadata.name ?? ''}`, type, reason, note }, 'event');
    if (prev !== undefined && now - prev.last < SERIES_WINDOW_MS) {
      prev.count++;
      prev.last = now;
      await this.client.patch(EVENTS, prev.namespace, prev.name, { series: { count: prev.count, lastObservedTime: microTime(now) } });
      return;
    }
    const name = `${obj.metadata.name ?? 'object'}.${now.toString(16)}${randomBytes(2).toString('hex')}`;
    await this.client.create(EVENTS, namespace, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(now),
      reportingController: 'cairn.dev/operator',
      reportingInstance: this.instance,
      action,
      reason,
      note,
      type,
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
    } as KubeObject);
    this.recent.set(key, { name, namespace, count: 1, first: now, last: now });
    if (this.recent.size > 5000) {
      for (const [k, v] of this.recent) if (now - v.last > SERIES_WINDOW_MS) this.recent.delete(k);
    }
  }
}
