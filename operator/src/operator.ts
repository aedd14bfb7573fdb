// Assembles the operator: API client, informers (always running, so a standby has warm caches and
// /readyz), leader election, and — only while leading — one work queue and controller per resource kind.
// Jobs and Pods are routed to the resource that owns them through the labels the Job builder sets.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Job, Pod } from './api/core-types.ts';
import type { KubeObject } from './api/meta.ts';
import { LABELS, MANAGED_BY } from './api/names.ts';
import type { BackupRepository, Restore, Snapshot, SnapshotSchedule } from './api/resources.ts';
import { BackupRepositoryController } from './controllers/backup-repository/backup-repository-controller.ts';
import { RestoreController } from './controllers/restore/restore-controller.ts';
import { SnapshotScheduleController } from './controllers/snapshot-schedule/snapshot-schedule-controller.ts';
import { SnapshotController } from './controllers/snapshot/snapshot-controller.ts';
import { OperatorHttpServer } from './http-server.ts';
import { OperatorMetrics } from './metrics.ts';
import type { OperatorConfig, OperatorContext } from './operator-context.ts';
import { DEFAULT_CONFIG } from './operator-context.ts';
import type { Clock } from './runtime/clock.ts';
import { systemClock } from './runtime/clock.ts';
import { Controller } from './runtime/controller.ts';
import { EventRecorder } from './runtime/event-recorder.ts';
import { Informer, objectKey } from './runtime/informer.ts';
import { HttpKubeClient } from './runtime/kube-client.ts';
import type { KubeClient } from './runtime/kube-client.ts';
import type { LeaderElectionOptions } from './runtime/leader-elector.ts';
import { LeaderElector } from './runtime/leader-elector.ts';
import { BACKUP_REPOSITORIES, JOBS, PODS, RESTORES, SNAPSHOTS, SNAPSHOT_SCHEDULES } from './runtime/resource-type.ts';
import { RecentlyDeletedCache } from './runtime/recently-deleted-cache.ts';
import { StatusWriter } from './runtime/status-writer.ts';
import { WorkQueue } from './runtime/work-queue.ts';

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  readonly log: Logger;
  readonly identity: string;
  /** Business clock (schedules, stamps, requeue-after). Default: the system clock. */
  readonly clock?: Clock;
  /** Clock of informers, leader election and error backoff. Default: the system clock. */
  readonly runtimeClock?: Clock;
  readonly config?: Partial<OperatorConfig>;
  /** Lease settings; false runs without election (single replica). */
  readonly leaderElection: Omit<LeaderElectionOptions, 'identity'> | false;
  /** Port for /metrics, /healthz, /readyz; 0 picks a free one; undefined serves nothing. */
  readonly httpPort?: number;
  readonly httpHost?: string;
  /** Called when leadership is lost after having been held (main.ts exits so the pod restarts clean). */
  readonly onLostLeadership?: () => void;
  readonly workers?: number;
  readonly relistMs?: number;
}

type Kind = 'repositories' | 'schedules' | 'restores' | 'snapshots';

/** The list+watch caches behind OperatorContext.caches. */
interface Informers {
  readonly repositories: Informer<BackupRepository>;
  readonly schedules: Informer<SnapshotSchedule>;
  readonly restores: Informer<Restore>;
  readonly snapshots: Informer<Snapshot>;
  readonly jobs: Informer<Job>;
  readonly pods: Informer<Pod>;
}

export class Operator {
  readonly metrics = new OperatorMetrics();
  readonly client: KubeClient;
  private readonly o: OperatorOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly runtimeClock: Clock;
  private readonly caches: Informers;
  private readonly ctx: OperatorContext;
  private readonly elector: LeaderElector | undefined;
  private http: OperatorHttpServer | undefined;
  private controllers: Map<Kind, Controller> | undefined;
  private leading = false;
  private everLed = false;
  port: number | undefined;

  constructor(o: OperatorOptions) {
    this.o = o;
    this.log = o.log;
    this.clock = o.clock ?? systemClock;
    this.runtimeClock = o.runtimeClock ?? systemClock;
    this.client = new HttpKubeClient(o.kubeConfig, { userAgent: `cairn-operator/${o.identity}` });
    const inf = <T extends KubeObject>(type: typeof JOBS, labelSelector?: string): Informer<T> =>
      new Informer<T>(this.client, type, this.runtimeClock, this.log, { labelSelector, relistMs: o.relistMs });
    const managed = `${LABELS.managedBy}=${MANAGED_BY}`;
    this.caches = {
      repositories: inf<BackupRepository>(BACKUP_REPOSITORIES),
      schedules: inf<SnapshotSchedule>(SNAPSHOT_SCHEDULES),
      restores: inf<Restore>(RESTORES),
      snapshots: inf<Snapshot>(SNAPSHOTS),
      jobs: inf<Job>(JOBS, managed),
      pods: inf<Pod>(PODS, managed),
    };
    this.ctx = {
      client: this.client,
      clock: this.clock,
      log: this.log,
      events: new EventRecorder(this.client, this.clock, this.log, o.identity),
      status: new StatusWriter(this.client, this.runtimeClock),
      metrics: this.metrics,
      config: { ...DEFAULT_CONFIG, ...o.config },
      // Pods stay listed for a while after deletion: a deleted mover pod's result is in its last state.
      caches: { ...this.caches, pods: new RecentlyDeletedCache(this.caches.pods, this.runtimeClock) },
    };
    this.elector =
      o.leaderElection === false ? undefined : new LeaderElector(this.client, this.runtimeClock, this.log, { ...o.leaderElection, identity: o.identity });
    this.wireHandlers();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get statusWrites(): number {
    return this.ctx.status.writes;
  }

  ready(): boolean {
    return Object.values(this.caches).every((c: Informer<KubeObject>) => c.hasSynced);
  }

  async start(): Promise<void> {
    if (this.o.httpPort !== undefined) {
      this.http = new OperatorHttpServer(this.metrics.registry, this);
      this.port = await this.http.listen(this.o.httpPort, this.o.httpHost);
    }
    for (const c of Object.values(this.caches) as Informer<KubeObject>[]) c.start();
    await Promise.all((Object.values(this.caches) as Informer<KubeObject>[]).map((c) => c.waitForSync()));
    this.log.info('caches synced');
    if (this.elector === undefined) {
      this.startLeading();
      return;
    }
    this.elector.start({
      onStartedLeading: () => this.startLeading(),
      onStoppedLeading: () => {
        void this.stopLeading().then(() => {
          if (this.everLed) this.o.onLostLeadership?.();
        });
      },
      onNewLeader: (id) => this.log.info({ leader: id }, 'another instance leads'),
    });
  }

  /** Stop everything. `release` gives the lease up (graceful shutdown); false simulates a crash. */
  async stop(release = true): Promise<void> {
    if (this.elector !== undefined) {
      if (release) await this.elector.stop();
      else await this.stopLeading().then(() => this.elector?.stop());
    }
    await this.stopLeading();
    for (const c of Object.values(this.caches) as Informer<KubeObject>[]) c.stop();
    await this.http?.close();
  }

  private startLeading(): void {
    if (this.leading) return;
    this.leading = true;
    this.everLed = true;
    this.metrics.leader.set(1);
    const cacheOf: Record<string, Informer<KubeObject>> = {
      backuprepository: this.caches.repositories as Informer<KubeObject>,
      snapshotschedule: this.caches.schedules as Informer<KubeObject>,
      restore: this.caches.restores as Informer<KubeObject>,
      snapshot: this.caches.snapshots as Informer<KubeObject>,
    };
    const hooks = {
      onReconcile: (c: string, r: 'success' | 'error', s: number) => this.metrics.observeReconcile(c, r, s),
      onError: (c: string, key: string, e: unknown) => {
        const [ns, name] = key.split('/');
        const obj = cacheOf[c]?.get(ns, name ?? '');
        // Repeats fold into one Event series, so a retry loop does not flood the namespace.
        if (obj !== undefined) this.ctx.events.record(obj, 'Warning', 'ReconcileError', e instanceof Error ? e.message : String(e));
      },
    };
    const workers = this.o.workers ?? 2;
    const make = (name: string, fn: (key: string) => Promise<unknown>): Controller =>
      new Controller(name, new WorkQueue(this.clock, undefined, this.runtimeClock), fn as never, this.log, workers, hooks);
    const repo = new BackupRepositoryController(this.ctx);
    const sched = new SnapshotScheduleController(this.ctx);
    const restore = new RestoreController(this.ctx);
    const snap = new SnapshotController(this.ctx);
    this.controllers = new Map<Kind, Controller>([
      ['repositories', make('backuprepository', (k) => repo.reconcile(k))],
      ['schedules', make('snapshotschedule', (k) => sched.reconcile(k))],
      ['restores', make('restore', (k) => restore.reconcile(k))],
      ['snapshots', make('snapshot', (k) => snap.reconcile(k))],
    ]);
    for (const c of this.controllers.values()) c.start();
    // Everything is looked at once on taking over: adopts running Jobs, catches up on due times.
    for (const kind of ['repositories', 'schedules', 'restores', 'snapshots'] as const) {
      for (const obj of this.caches[kind].list()) this.enqueue(kind, objectKey(obj));
    }
    this.log.info('controllers started');
  }

  private async stopLeading(): Promise<void> {
    const controllers = this.controllers;
    this.controllers = undefined;
    this.leading = false;
    this.metrics.leader.set(0);
    if (controllers !== undefined) await Promise.all([...controllers.values()].map((c) => c.stop()));
  }

  private enqueue(kind: Kind, key: string): void {
    this.controllers?.get(kind)?.queue.add(key);
  }

  private wireHandlers(): void {
    const specChanged = (a: KubeObject, b: KubeObject): boolean =>
      a.metadata.generation !== b.metadata.generation ||
      JSON.stringify(a.metadata.annotations ?? {}) !== JSON.stringify(b.metadata.annotations ?? {}) ||
      a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp;
    const dependents = (repo: BackupRepository): void => {
      const ns = repo.metadata.namespace;
      for (const s of this.caches.schedules.list(ns)) if (s.spec.repository === repo.metadata.name) this.enqueue('schedules', objectKey(s));
      for (const r of this.caches.restores.list(ns)) if (r.spec.repository === repo.metadata.name) this.enqueue('restores', objectKey(r));
    };
    this.caches.repositories.addHandlers({
      onAdd: (o) => {
        this.enqueue('repositories', objectKey(o));
        dependents(o);
      },
      onUpdate: (o, old) => {
        if (specChanged(o, old)) this.enqueue('repositories', objectKey(o));
        dependents(o);
      },
      onDelete: (o) => {
        this.enqueue('repositories', objectKey(o));
        dependents(o);
      },
    });
    const simple = (kind: Kind, inf: Informer<KubeObject>): void =>
      inf.addHandlers({
        onAdd: (o) => this.enqueue(kind, objectKey(o)),
        onUpdate: (o, old) => {
          if (specChanged(o, old)) this.enqueue(kind, objectKey(o));
        },
        onDelete: (o) => this.enqueue(kind, objectKey(o)),
      });
    simple('schedules', this.caches.schedules as Informer<KubeObject>);
    simple('restores', this.caches.restores as Informer<KubeObject>);
    simple('snapshots', this.caches.snapshots as Informer<KubeObject>);
    // Jobs are routed by their controller ownerReference (names can be longer than a label value);
    // pods through the Job they belong to.
    const routeOwner = (ns: string | undefined, kind: string | undefined, name: string | undefined): void => {
      if (name === undefined) return;
      const key = `${ns ?? ''}/${name}`;
      if (kind === 'SnapshotSchedule') this.enqueue('schedules', key);
      else if (kind === 'BackupRepository') this.enqueue('repositories', key);
      else if (kind === 'Restore') this.enqueue('restores', key);
      else if (kind === 'Snapshot') this.enqueue('snapshots', key);
    };
    const byOwner = (o: KubeObject): void => {
      let job: KubeObject | undefined = o;
      if (o.kind === 'Pod') {
        const jobName = o.metadata.labels?.['batch.kubernetes.io/job-name'] ?? o.metadata.labels?.['job-name'];
        job = jobName !== undefined ? this.caches.jobs.get(o.metadata.namespace, jobName) : undefined;
      }
      const owner = job?.metadata.ownerReferences?.find((r) => r.controller === true);
      if (owner !== undefined) routeOwner(o.metadata.namespace, owner.kind, owner.name);
      else routeOwner(o.metadata.namespace, o.metadata.labels?.[LABELS.ownerKind], o.metadata.labels?.[LABELS.ownerName]);
    };
    for (const inf of [this.caches.jobs, this.caches.pods] as Informer<KubeObject>[]) {
      inf.addHandlers({ onAdd: byOwner, onUpdate: (o) => byOwner(o), onDelete: byOwner });
    }
  }
}
