// The parts of core Kubernetes objects the operator reads and writes, as plain JSON shapes (timestamps are
// RFC 3339 strings, as on the wire). Deliberately partial: only fields we use.
import type { KubeObject } from './meta.ts';

export type Json = Record<string, unknown>;

export interface ContainerStateTerminated {
  exitCode: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: { startedAt?: string }; terminated?: ContainerStateTerminated };
  lastState?: { terminated?: ContainerStateTerminated };
}

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Pod extends KubeObject {
  spec?: {
    nodeName?: string;
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
    tolerations?: Json[];
    containers?: Json[];
    [k: string]: unknown;
  };
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    conditions?: PodCondition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    startTime?: string;
  };
}

export interface JobCondition {
  type: 'Complete' | 'Failed' | 'Suspended' | 'FailureTarget' | 'SuccessCriteriaMet' | string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Job extends KubeObject {
  spec?: {
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Json };
    [k: string]: unknown;
  };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: JobCondition[];
  };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec?: {
    accessModes?: string[];
    storageClassName?: string;
    resources?: { requests?: Record<string, string> };
    dataSource?: { apiGroup?: string; kind: string; name: string };
    volumeMode?: string;
  };
  status?: { phase?: string; capacity?: Record<string, string> };
}

export type Namespace = KubeObject;

export interface Secret extends KubeObject {
  data?: Record<string, string>;
}

export interface VolumeSnapshot extends KubeObject {
  spec?: { source: { persistentVolumeClaimName?: string }; volumeSnapshotClassName?: string };
  status?: { readyToUse?: boolean; boundVolumeSnapshotContentName?: string; error?: { message?: string }; restoreSize?: string };
}
