// Whether a BackupRepository can take work, as its dependents (schedules, restores, snapshot deletes) see
// it: it must exist, have been opened once, and be Ready=True now. Being initialized is not enough: after a
// password rotation the check fails with WrongPassword, and every run would only launch a doomed Job.
import type { BackupRepository } from '../../api/resources.ts';
import { getCondition } from '../../api/conditions.ts';

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: 'RepositoryNotFound' | 'RepositoryNotReady'; readonly message: string };

export function repositoryReadiness(repo: BackupRepository | undefined, namespace: string, name: string): Readiness {
  if (repo === undefined) return { ready: false, reason: 'RepositoryNotFound', message: `BackupRepository ${namespace}/${name} does not exist` };
  const cond = getCondition(repo.status?.conditions, 'Ready');
  if (repo.status?.initialized === true && cond?.status === 'True') return { ready: true };
  const why = cond !== undefined && cond.status !== 'True' ? `: ${cond.reason}${cond.message !== '' ? ` (${cond.message})` : ''}` : '';
  return { ready: false, reason: 'RepositoryNotReady', message: `BackupRepository ${namespace}/${name} is not ready${why}` };
}
