// The pods that use a PVC ("consumers"): where a mover must run to share a ReadWriteOnce volume with them.
// Read from the API server (the operator caches only its own pods), right before each Job is created.
import type { PersistentVolumeClaim, Pod } from '../../api/core-types.ts';
import type { OperatorContext } from '../../operator-context.ts';
import { PODS } from '../../runtime/resource-type.ts';
import { LABELS, MANAGED_BY } from '../../api/names.ts';

/** Pods that mount `pvc` and have not finished, running ones first; Cairn's own mover pods are not consumers. */
export async function consumersOf(ctx: OperatorContext, pvc: PersistentVolumeClaim): Promise<Pod[]> {
  const { items } = await ctx.client.list<Pod>(PODS, pvc.metadata.namespace);
  const users = items.filter(
    (p) =>
      p.metadata.labels?.[LABELS.managedBy] !== MANAGED_BY &&
      p.spec?.nodeName !== undefined &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed' &&
      (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name),
  );
  return users.sort((a, b) => Number(b.status?.phase === 'Running') - Number(a.status?.phase === 'Running'));
}
