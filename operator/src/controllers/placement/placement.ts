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
