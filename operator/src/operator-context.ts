// What every controller gets: the API client, caches, clocks, status writer, events, metrics and the
// operator's configuration. Built once in operator.ts.
import type { Logger } from 'pino';
import type { Job, Pod } from './api/core-types.ts';
import type { BackupRepository, Restore, Snapshot, SnapshotSchedule } from './api/resources.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { Clock } from './runtime/clock.ts';
import type { EventRecorder } from './runtime/event-recorder.ts';
import type { Informer } from './runtime/informer.ts';
import type { KubeClient } from './runtime/kube-client.ts';
import type { StatusWriter } from './runtime/status-writer.ts';
import type { MoverLogLevel } from '../../mover/src/contract/mover-argv.ts';

export interface OperatorConfig {
  /** Default mover image (overridable per resource). */
  readonly moverImage: string;
  /** Entry point of the mover image. */
  readonly moverCommand: readonly string[];
  readonly moverLogLevel: MoverLogLevel;
  /** A mover pod Pending this long (not for image pulls, which are reported at once) is reported stuck. */
  readonly pendingGraceMs: number;
  /** How often a failing repository check is retried at most (backoff cap). */
  readonly maxCheckBackoffMs: number;
}

export const DEFAULT_CONFIG: OperatorConfig = {
  moverImage: 'ghcr.io/cairn-backup/cairn:latest',
  moverCommand: ['cairn'],
  moverLogLevel: 'info',
  pendingGraceMs: 3 * 60_000,
  maxCheckBackoffMs: 60 * 60_000,
};

export interface Caches {
  readonly repositories: Informer<BackupRepository>;
  readonly schedules: Informer<SnapshotSchedule>;
  readonly restores: Informer<Restore>;
  readonly snapshots: Informer<Snapshot>;
  readonly jobs: Informer<Job>;
  readonly pods: Informer<Pod>;
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
