// What every controller gets: the API client, caches, clocks, status writer, events, metrics and the
// operator's configuration. Built once in operator.ts.
import type { Logger } from 'pino';
import type { Job, Pod } from './api/core-types.ts';
import type { BackupRepository, Restore, Snapshot, SnapshotSchedule } from './api/resources.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { Clock } from './runtime/clock.ts';
import type { EventRecorder } from './runtime/event-recorder.ts';
import type { ObjectCache } from './runtime/informer.ts';
import type { KubeClient } from './runtime/kube-client.ts';
import type { StatusWriter } from './runtime/status-writer.ts';
import type { MoverLogLevel } from '../../mover/src/contract/mover-argv.ts';

export interface OperatorConfig {
  /** Default mover image (overridable per resource). */
  readonly moverImage: string;
  /** Entry point of the mover image. */
  readonly moverCommand: readonly string[];
  /** Pull secrets every mover pod gets (each must exist in the workload's namespace). */
  readonly moverImagePullSecrets: readonly string[];
  readonly moverLogLevel: MoverLogLevel;
  /** A mover pod Pending this long (not for image pulls, which are reported at once) is reported stuck. */
  readonly pendingGraceMs: number;
  /** How often a failing repository check is retried at most (backoff cap). */
  readonly maxCheckBackoffMs: number;
  /** Finished Jobs kept per BackupRepository and kind (check, create, maintenance) once recorded. */
  readonly repositoryJobsHistory: HistoryLimits;
}

export const DEFAULT_CONFIG: OperatorConfig = {
  moverImage: 'ghcr.io/cairn-backup/cairn:latest',
  moverCommand: ['cairn'],
  moverImagePullSecrets: [],
  moverLogLevel: 'info',
  pendingGraceMs: 3 * 60_000,
  maxCheckBackoffMs: 60 * 60_000,
  repositoryJobsHistory: { successful: 1, failed: 3 },
};

/** What controllers read instead of the API server (informers in the operator, the fake store in unit tests). */
export interface Caches {
  readonly repositories: ObjectCache<BackupRepository>;
  readonly schedules: ObjectCache<SnapshotSchedule>;
  readonly restores: ObjectCache<Restore>;
  readonly snapshots: ObjectCache<Snapshot>;
  /** Jobs and Pods labelled app.kubernetes.io/managed-by=cairn-operator only. */
  readonly jobs: ObjectCache<Job>;
  readonly pods: ObjectCache<Pod>;
}

export interface HistoryLimits {
  readonly successful: number;
  readonly failed: number;
}

export interface OperatorContext {
  readonly client: KubeClient;
  /** Business time: schedules, deadlines, stamps. Tests inject a FakeClock. */
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly status: StatusWriter;
  readonly metrics: OperatorMetrics;
  readonly config: OperatorConfig;
  readonly caches: Caches;
}
