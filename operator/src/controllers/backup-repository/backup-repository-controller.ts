// Reconciles BackupRepositories: checks that the referenced Secrets exist (GET by name only), connects with
// a `repository status` Job, creates the repository with a `repository create` Job when none exists and
// spec.initialize allows it (the mover refuses to overwrite an existing one), retries failed checks with
// backoff, and runs scheduled, single-flight maintenance. Ready's reason is the mover's result reason
// (WrongPassword, AuthFailed, BucketNotFound, Unreachable ...).
import type { Secret } from '../../api/core-types.ts';
import type { BackupRepository, BackupRepositoryStatus } from '../../api/resources.ts';
import { getCondition, setCondition } from '../../api/conditions.ts';
import { LABELS, childName, labelValue, shortHash } from '../../api/names.ts';
import { buildMoverJob } from '../../jobs/mover-job.ts';
import { repositoryAccess } from '../../jobs/repository-access.ts';
import { exportRepositoryMetrics } from './repository-metrics.ts';
import type { OperatorContext } from '../../operator-context.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { toRfc3339 } from '../../runtime/clock.ts';
import { isNotFound } from '../../runtime/kube-client.ts';
import { BACKUP_REPOSITORIES, SECRETS } from '../../runtime/resource-type.ts';
import { CronSchedule } from '../../schedule/cron-schedule.ts';
import { checkTimeZone } from '../../schedule/time-zone.ts';
import { planRun } from '../../schedule/run-planner.ts';
import { pruneJobHistory } from '../job-tracking/job-history.ts';
import type { StartedJob } from '../job-tracking/job-tracker.ts';
import { RUNNING_POLL_MS, startJob, trackJob } from '../job-tracking/job-tracker.ts';
import type { MoverResult } from '../../../../mover/src/contract/mover-result.ts';
import { MAX_EXPIRE_STEPS, applyMaintenanceExpiry, maintenanceExpireSteps } from '../retention/maintenance-expiry.ts';
import type { MoverInvocation } from '../../../../mover/src/contract/mover-argv.ts';

type JobKind = 'Check' | 'Create' | 'Maintenance';

/** A failing repository looks at its Secrets this often (they are not watched: GET only). */
const SECRET_POLL_MS = 60_000;

const ms = (t: string | undefined): number | undefined => (t === undefined ? undefined : Date.parse(t));

export class BackupRepositoryController {
  private readonly ctx: OperatorContext;

  constructor(ctx: OperatorContext) {
    this.ctx = ctx;
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const [ns, name] = key.split('/') as [string, string];
    let repo: BackupRepository;
    try {
      repo = await this.ctx.client.get<BackupRepository>(BACKUP_REPOSITORIES, ns, name);
    } catch (e) {
      if (isNotFound(e)) {
        this.ctx.metrics.forgetRepository(ns, name);
        return;
      }
      throw e;
    }
    if (repo.metadata.deletionTimestamp !== undefined) return;
    const now = this.ctx.clock.now();
    const stamp = toRfc3339(now);
    const gen = repo.metadata.generation;
    const st: BackupRepositoryStatus = structuredClone(repo.status ?? {});
    st.backend = repo.spec.storage.s3 !== undefined ? 's3' : 'filesystem';
    const wakes: number[] = []; // business-clock times to look again at
    let poll: number | undefined;
    const ready = (status: 'True' | 'False', reason: string, message: string): void => {
      const prev = getCondition(st.conditions, 'Ready');
      if (prev?.status !== status || prev.reason !== reason) {
        this.ctx.events.record(repo, status === 'True' ? 'Normal' : 'Warning', reason, message);
      }
      st.conditions = setCondition(st.conditions, { type: 'Ready', status, reason, message }, gen, stamp);
    };
    // A failed check or create (its Job failed, got lost, or was rejected): retried after a backoff.
    const checkFailed = (kind: JobKind, reason: string | undefined, message: string | undefined, jobGen: number | undefined): void => {
      st.checkAttempts = (st.checkAttempts ?? 0) + 1;
      st.observedGeneration = jobGen;
      ready('False', reason ?? 'Failed', message ?? `repository ${kind.toLowerCase()} failed`);
    };
    const maintenanceFailed = (reason = 'Failed', message = 'maintenance failed'): void => {
      this.ctx.metrics.maintenanceRuns.inc({ namespace: ns, repository: name, result: 'Failed' });
      st.consecutiveMaintenanceFailures = (st.consecutiveMaintenanceFailures ?? 0) + 1;
      st.conditions = setCondition(st.conditions, { type: 'MaintenanceSucceeded', status: 'False', reason, message }, gen, stamp);
      this.ctx.events.record(repo, 'Warning', 'MaintenanceFailed', `${reason}: ${message}`);
    };

    const { problem: secretProblem, versions: secretVersions } = await this.checkSecrets(repo);
    if (secretProblem !== undefined) {
      ready('False', secretProblem.reason, secretProblem.message);
      this.ctx.metrics.repositoryReady.set({ namespace: ns, repository: name }, 0);
      await this.write(repo, st);
      return { requeueAt: now + SECRET_POLL_MS };
    }

    // 1. Finish the active Job, if any.
    let next: JobKind | undefined;
    if (st.activeJob !== undefined) {
      const kind = st.activeJobKind as JobKind;
      const tracked = await trackJob(this.ctx, ns, st.activeJob);
      if (tracked.state === 'Running') {
        poll = tracked.pollMs;
        if (tracked.stuck !== undefined) {
          const { reason, message } = tracked.stuck;
          if (getCondition(st.conditions, 'Progressing')?.reason !== reason) this.ctx.events.record(repo, 'Warning', reason, message, 'MoverPodStuck');
          st.conditions = setCondition(st.conditions, { type: 'Progressing', status: 'False', reason, message }, gen, stamp);
        }
      } else {
        const retry = kind === 'Maintenance' ? 'maintenance runs again at its next due time' : 'the repository is checked again after the backoff';
        const outcome: { phase: 'Succeeded' | 'Failed'; result?: MoverResult; reason?: string; message?: string } =
          tracked.state === 'Finished' ? tracked.outcome : { phase: 'Failed', reason: tracked.reason, message: `${tracked.message}; ${retry}` };
        const result = outcome.result;
        // The result is about the spec the Job was started for: a spec changed meanwhile (a new password
        // Secret) stays unobserved, so it is checked next instead of inheriting this Job's verdict.
        const jobGen = st.activeJobGeneration ?? gen;
        delete st.activeJob;
        delete st.activeJobKind;
        delete st.activeJobGeneration;
        st.conditions = setCondition(st.conditions, { type: 'Progressing', status: 'False', reason: 'Idle', message: 'no repository Job is running' }, gen, stamp);
        if (result?.repository?.uniqueId !== undefined) st.repositoryId = result.repository.uniqueId;
        if (result?.repository?.snapshotCount !== undefined) st.snapshotCount = result.repository.snapshotCount;
        if (result?.repository?.sizeBytes !== undefined) st.sizeBytes = result.repository.sizeBytes;
        if (kind === 'Maintenance') {
          if (tracked.state === 'Finished') await applyMaintenanceExpiry(this.ctx, repo, tracked.pods);
          if (outcome.phase === 'Succeeded') {
            this.ctx.metrics.maintenanceRuns.inc({ namespace: ns, repository: name, result: 'Succeeded' });
            st.lastMaintenanceTime = stamp;
            st.consecutiveMaintenanceFailures = 0;
            st.conditions = setCondition(st.conditions, { type: 'MaintenanceSucceeded', status: 'True', reason: 'Succeeded', message: 'maintenance completed' }, gen, stamp);
            this.ctx.events.record(repo, 'Normal', 'MaintenanceSucceeded', `maintenance completed: ${st.snapshotCount ?? '?'} snapshots, ${st.sizeBytes ?? '?'} bytes`);
          } else {
            maintenanceFailed(outcome.reason, outcome.message);
          }
        } else {
          st.lastCheckTime = stamp;
          if (outcome.phase === 'Succeeded') {
            st.initialized = true;
            st.checkAttempts = 0;
            st.observedGeneration = jobGen;
            ready('True', kind === 'Create' ? 'Created' : 'Connected', kind === 'Create' ? 'repository created' : 'repository opened with its password');
          } else if (result?.code === 'REPO_NOT_FOUND' && kind === 'Check' && repo.spec.initialize === 'IfMissing') {
            next = 'Create';
          } else if (result?.code === 'REPO_EXISTS' && kind === 'Create') {
            next = 'Check'; // someone else created it first: connect to it
          } else {
            checkFailed(kind, outcome.reason, outcome.message, jobGen);
          }
        }
      }
    }

    // 2. Connect (again) when never connected, when the spec changed, or after a failure once backoff passed.
    const readyCond = getCondition(st.conditions, 'Ready');
    if (st.activeJob === undefined && next === undefined) {
      const specChanged = st.observedGeneration !== gen;
      // A changed Secret (say, the password fixed after WrongPassword) is worth a check at once.
      const secretsChanged = st.checkedSecretVersions !== undefined && st.checkedSecretVersions !== secretVersions;
      if (st.initialized !== true || specChanged || readyCond?.status !== 'True') {
        const attempts = st.checkAttempts ?? 0;
        const fresh = attempts === 0 || specChanged || secretsChanged;
        const backoff = fresh ? 0 : Math.min(this.ctx.config.maxCheckBackoffMs, 60_000 * 2 ** (attempts - 1));
        const dueAt = (ms(st.lastCheckTime) ?? 0) + backoff;
        if (now >= dueAt) next = 'Check';
        else wakes.push(Math.min(dueAt, now + SECRET_POLL_MS)); // Secrets are not watched: look again soon
        if (specChanged || secretsChanged) st.checkAttempts = 0;
      }
    }
    if (next !== undefined) {
      st.checkedSecretVersions = secretVersions;
      const started = await this.startJob(repo, st, next, gen ?? 0);
      if (started.state === 'Rejected') {
        st.lastCheckTime = stamp;
        checkFailed(next, started.reason, started.message, gen);
        wakes.push(now + SECRET_POLL_MS); // the backoff is at least this long; Secrets are looked at again meanwhile
      } else if (readyCond === undefined) {
        st.conditions = setCondition(st.conditions, { type: 'Ready', status: 'Unknown', reason: 'Connecting', message: 'checking the repository' }, gen, stamp);
      }
    }

    // 3. Scheduled maintenance: single-flight, only on a ready repository. Only a bad schedule is
    // InvalidSchedule; an API error while starting the Job is thrown, so the reconcile is retried.
    const m = repo.spec.maintenance;
    let cron: CronSchedule | undefined;
    try {
      cron = CronSchedule.parse(m.schedule, `${repo.metadata.uid ?? name}/maintenance`);
      checkTimeZone(m.timeZone);
    } catch (e) {
      cron = undefined;
      st.conditions = setCondition(st.conditions, { type: 'MaintenanceSucceeded', status: 'False', reason: 'InvalidSchedule', message: (e as Error).message }, gen, stamp);
    }
    if (cron !== undefined) {
      st.effectiveMaintenanceSchedule = cron.effective;
      const plan = planRun({
        now,
        cron,
        timeZone: m.timeZone,
        jitterMs: 0,
        suspend: m.suspend,
        concurrencyPolicy: 'Forbid',
        lastScheduleTime: ms(st.lastMaintenanceScheduleTime),
        createdAt: ms(repo.metadata.creationTimestamp) ?? now,
        active: st.activeJob !== undefined,
      });
      if (plan.lastScheduleTime !== undefined) st.lastMaintenanceScheduleTime = toRfc3339(plan.lastScheduleTime);
      if (plan.start?.trigger === 'Schedule' && st.activeJob === undefined && getCondition(st.conditions, 'Ready')?.status === 'True') {
        const started = await this.startJob(repo, st, 'Maintenance', plan.start.scheduledTime);
        if (started.state === 'Rejected') maintenanceFailed(started.reason, started.message);
      }
      if (plan.nextRunTime !== undefined) st.nextMaintenanceTime = toRfc3339(plan.nextRunTime);
      else delete st.nextMaintenanceTime;
      if (plan.wakeAt !== undefined) wakes.push(Math.max(now + 1_000, plan.wakeAt));
    }

    exportRepositoryMetrics(this.ctx, repo, st);
    const written = await this.write(repo, st);
    await pruneJobHistory(this.ctx, written, this.ctx.config.repositoryJobsHistory, new Set(st.activeJob !== undefined ? [st.activeJob] : []));
    if (st.activeJob !== undefined) poll = Math.min(poll ?? RUNNING_POLL_MS, RUNNING_POLL_MS); // stuck pods emit no events
    return {
      ...(wakes.length > 0 ? { requeueAt: Math.min(...wakes) } : {}),
      ...(poll !== undefined ? { pollAfterMs: poll } : {}),
    };
  }

  private async write(repo: BackupRepository, st: BackupRepositoryStatus): Promise<BackupRepository> {
    return this.ctx.status.update(BACKUP_REPOSITORIES, repo, () => structuredClone(st));
  }

  /**
   * GET (never list) each referenced Secret and check the keys the mover will need. `versions` names the
   * Secrets' resourceVersions, so a later change is noticed.
   */
  private async checkSecrets(repo: BackupRepository): Promise<{ problem?: { reason: string; message: string }; versions: string }> {
    const ns = repo.metadata.namespace!;
    const wants: [string, string[]][] = [[repo.spec.passwordSecretRef.name, [repo.spec.passwordSecretRef.key]]];
    const s3 = repo.spec.storage.s3;
    if (s3 !== undefined) {
      wants.push([s3.credentialsSecretRef.name, ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']]);
      if (s3.caBundle?.secretName !== undefined) wants.push([s3.caBundle.secretName, [s3.caBundle.key]]);
    }
    const versions: string[] = [];
    for (const [secretName, keys] of wants) {
      let secret: Secret;
      try {
        secret = await this.ctx.client.get<Secret>(SECRETS, ns, secretName);
      } catch (e) {
        if (isNotFound(e)) return { problem: { reason: 'SecretNotFound', message: `Secret ${ns}/${secretName} does not exist` }, versions: '' };
        throw e;
      }
      const missing = keys.filter((k) => secret.data?.[k] === undefined);
      if (missing.length > 0) return { problem: { reason: 'SecretKeyMissing', message: `Secret ${ns}/${secretName} has no key ${missing.join(', ')}` }, versions: '' };
      versions.push(`${secretName}=${secret.metadata.resourceVersion ?? ''}`);
    }
    return { versions: versions.join(',') };
  }

  private async startJob(repo: BackupRepository, st: BackupRepositoryStatus, kind: JobKind, discriminator: number): Promise<StartedJob> {
    const name = repo.metadata.name!;
    let invocation: MoverInvocation;
    let jobName: string;
    let initSteps: { name: string; invocation: MoverInvocation }[] | undefined;
    if (kind === 'Maintenance') {
      const expiry = maintenanceExpireSteps(this.ctx, repo);
      initSteps = expiry.steps;
      if (expiry.deferred > 0) {
        this.ctx.events.record(repo, 'Normal', 'RetentionDeferred', `${expiry.deferred} source(s) did not fit into this maintenance (at most ${MAX_EXPIRE_STEPS}); their schedules' runs and the next maintenance expire them`);
      }
      jobName = childName([name, 'maint', Math.floor(discriminator / 60_000).toString(36)]);
      invocation = { command: 'maintenance run', full: repo.spec.maintenance.full };
      st.activeJobScheduledTime = toRfc3339(discriminator);
    } else if (kind === 'Create') {
      // Like checks: a create retried after a failure (say, a storage permission fixed since) is a new Job.
      jobName = childName([name, 'create', `g${discriminator}`, `a${st.checkAttempts ?? 0}`, shortHash(st.checkedSecretVersions ?? '', 6)]);
      const c = repo.spec.creation;
      invocation = { command: 'repository create', hash: c.hash, encryption: c.encryption, compression: c.compression };
    } else {
      // Named after generation, attempt and Secret versions: a fixed Secret restarts the attempts at 0
      // under a new name instead of adopting the first, failed check.
      jobName = childName([name, 'check', `g${discriminator}`, `a${st.checkAttempts ?? 0}`, shortHash(st.checkedSecretVersions ?? '', 6)]);
      invocation = { command: 'repository status' };
    }
    const job = buildMoverJob({
      name: jobName,
      namespace: repo.metadata.namespace!,
      owner: repo,
      purpose: kind.toLowerCase(),
      image: this.ctx.config.moverImage,
      imagePullSecrets: this.ctx.config.moverImagePullSecrets,
      command: this.ctx.config.moverCommand,
      invocation,
      access: repositoryAccess(repo),
      overrides: { ...(repo.spec.mover ?? {}), privileged: false },
      privileged: false,
      labels: { [LABELS.repository]: labelValue(name) },
      logLevel: this.ctx.config.moverLogLevel,
      initSteps,
      defaultActiveDeadlineSeconds: kind === 'Maintenance' ? 12 * 3600 : 600,
    });
    const started = await startJob(this.ctx, job);
    if (started.state === 'Rejected') return started;
    st.activeJob = jobName;
    st.activeJobKind = kind;
    if (kind === 'Maintenance') delete st.activeJobGeneration;
    else st.activeJobGeneration = repo.metadata.generation ?? 0;
    st.conditions = setCondition(st.conditions, { type: 'Progressing', status: 'True', reason: kind, message: `${kind.toLowerCase()} Job ${jobName} is running` }, repo.metadata.generation, toRfc3339(this.ctx.clock.now()));
    return started;
  }
}
