// Where a mover that mounts a PVC must run. Pure: the consumers come from consumersOf().
import type { Json, PersistentVolumeClaim, Pod } from '../../api/core-types.ts';

export interface Placement {
  /** Pin to this node (co-location with the consumer of a ReadWriteOnce volume). */
  readonly nodeName?: string;
  readonly tolerations?: Json[];
}

/**
 * For a ReadWriteOnce volume mounted by a running pod, the mover must run on that pod's node (with its
 * tolerations). ReadWriteMany and ReadOnlyMany volumes can be mounted anywhere.
 */
export function placementFor(pvc: PersistentVolumeClaim, consumers: readonly Pod[]): Placement {
  const modes = pvc.spec?.accessModes ?? [];
  if (modes.includes('ReadWriteMany') || modes.includes('ReadOnlyMany')) return {};
  const user = consumers[0];
  if (user === undefined) return {};
  return { nodeName: user.spec!.nodeName, ...(user.spec!.tolerations !== undefined ? { tolerations: user.spec!.tolerations } : {}) };
}

export interface Refusal {
  readonly reason: 'BlockVolumeUnsupported' | 'VolumeInUse';
  readonly message: string;
}

/**
 * Why a mover cannot mount `pvc` itself (backup with copyMethod Direct, restore target), or undefined. A
 * ReadWriteOncePod volume admits one pod only, so with a consumer the mover would stay Unschedulable until
 * its deadline; a block volume has no files to read or write.
 */
export function mountRefusal(pvc: PersistentVolumeClaim, consumers: readonly Pod[]): Refusal | undefined {
  const name = `${pvc.metadata.namespace ?? ''}/${pvc.metadata.name ?? ''}`;
  const blocked = blockRefusal(pvc);
  if (blocked !== undefined) return blocked;
  const user = consumers[0];
  if ((pvc.spec?.accessModes ?? []).includes('ReadWriteOncePod') && user !== undefined) {
    return {
      reason: 'VolumeInUse',
      message: `PVC ${name} is ReadWriteOncePod and pod ${user.metadata.name ?? ''} mounts it, so no mover can; use copyMethod Snapshot or Clone, or stop the pod`,
    };
  }
  return undefined;
}

/** A block-mode PVC (or a staging copy of one, which inherits the mode) cannot be mounted as files. */
export function blockRefusal(pvc: PersistentVolumeClaim): Refusal | undefined {
  if (pvc.spec?.volumeMode !== 'Block') return undefined;
  return {
    reason: 'BlockVolumeUnsupported',
    message: `PVC ${pvc.metadata.namespace ?? ''}/${pvc.metadata.name ?? ''} has volumeMode Block; Cairn backs up and restores files of Filesystem-mode volumes only`,
  };
}
