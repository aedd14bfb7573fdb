// The command table. Order is the order of `cairn --help`.
import type { Command } from '../command.ts';
import { repositoryCreate } from './repository-create.ts';
import { repositoryStatus } from './repository-status.ts';
import { repositoryChangePassword } from './repository-change-password.ts';
import { snapshotCreate } from './snapshot-create.ts';
import { snapshotList } from './snapshot-list.ts';
import { snapshotRestore } from './snapshot-restore.ts';
import { snapshotVerify } from './snapshot-verify.ts';
import { snapshotExpire } from './snapshot-expire.ts';
import { snapshotDelete } from './snapshot-delete.ts';
import { policySet } from './policy-set.ts';
import { policyShow } from './policy-show.ts';
import { maintenanceRun } from './maintenance-run.ts';
import { maintenanceInfo } from './maintenance-info.ts';
import { maintenanceSetOwner } from './maintenance-set-owner.ts';
import { repositoryCheck } from './repository-check.ts';
import { indexRecover } from './index-recover.ts';

export const COMMANDS: readonly Command[] = [
  repositoryCreate, repositoryStatus, repositoryChangePassword,
  snapshotCreate, snapshotList, snapshotRestore, snapshotVerify,
  snapshotExpire, snapshotDelete, policySet, policyShow,
  maintenanceRun, maintenanceInfo, maintenanceSetOwner, repositoryCheck, indexRecover,
];
