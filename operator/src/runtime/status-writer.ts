// Writes .status through the status subresource. The caller supplies a function from the LATEST object to
// the status it wants; on a 409 Conflict we re-read and re-apply it, so concurrent writers never lose each
// other's fields and we never write a status computed from a stale object without looking again.
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/meta.ts';
import type { Clock } from './clock.ts';
import { sleep } from './clock.ts';
import type { KubeClient } from './kube-client.ts';
import { isConflict } from './kube-client.ts';
import type { ResourceType } from './resource-type.ts';

type WithStatus<S> = KubeObject & { status?: S };

export class StatusWriter {
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  /** Status writes actually sent (unchanged statuses are skipped), for tests and metrics. */
  writes = 0;

  constructor(client: KubeClient, clock: Clock, maxAttempts = 6) {
    this.client = client;
    this.clock = clock;
    this.maxAttempts = maxAttempts;
  }

  /**
   * Apply `mutate` to the status of `obj` (first with the given copy, then with fresh reads after conflicts).
   * `mutate` returns the new status; returning the same value (deep-equal) writes nothing. Returns the object
   * as stored afterwards.
   */
  async update<S, T extends WithStatus<S>>(type: ResourceType, obj: T, mutate: (current: T) => S): Promise<T> {
    let current = obj;
    for (let attempt = 1; ; attempt++) {
      const next = mutate(current);
      if (isDeepStrictEqual(next, current.status)) return current;
      try {
        this.writes++;
        return await this.client.replaceStatus<T>(type, current.metadata.namespace, { ...current, status: next });
      } catch (e) {
        if (!isConflict(e) || attempt >= this.maxAttempts) throw e;
        await sleep(this.clock, 20 * attempt);
        current = await this.client.get<T>(type, current.metadata.namespace, current.metadata.name!);
      }
    }
  }
}
