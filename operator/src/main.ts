// Operator entry point: wiring only. Configuration comes from the environment (set by the Deployment):
//   CAIRN_MOVER_IMAGE        mover image (required in a cluster)
//   CAIRN_MOVER_COMMAND      entry point of the mover image, space separated (default: cairn)
//   CAIRN_MOVER_IMAGE_PULL_SECRETS  comma-separated pull secrets of every mover pod (in its namespace)
//   CAIRN_LOG_LEVEL          pino level (default info); CAIRN_MOVER_LOG_LEVEL for movers
//   CAIRN_METRICS_PORT       /metrics, /healthz, /readyz port (default 8080)
//   CAIRN_LEADER_ELECTION    "false" to run without a Lease (single replica)
//   POD_NAMESPACE, POD_NAME  Lease namespace and holder identity (downward API)
//   KUBECONFIG               out-of-cluster config (else in-cluster)
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Operator } from './operator.ts';
import { isMoverLogLevel, MOVER_LOG_LEVELS } from '../../mover/src/contract/mover-argv.ts';

const env = process.env;
const log = pino({ level: env['CAIRN_LOG_LEVEL'] ?? 'info', base: { component: 'cairn-operator' } });
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const identity = env['POD_NAME'] ?? hostname();
const moverLogLevel = env['CAIRN_MOVER_LOG_LEVEL'];
if (moverLogLevel !== undefined && !isMoverLogLevel(moverLogLevel)) {
  log.fatal(`CAIRN_MOVER_LOG_LEVEL=${moverLogLevel} is not a mover log level; use one of ${MOVER_LOG_LEVELS.join(', ')}`);
  process.exit(1);
}

const operator = new Operator({
  kubeConfig,
  log,
  identity,
  config: {
    ...(env['CAIRN_MOVER_IMAGE'] !== undefined ? { moverImage: env['CAIRN_MOVER_IMAGE'] } : {}),
    ...(env['CAIRN_MOVER_COMMAND'] !== undefined ? { moverCommand: env['CAIRN_MOVER_COMMAND'].split(' ').filter((x) => x !== '') } : {}),
    ...(env['CAIRN_MOVER_IMAGE_PULL_SECRETS'] !== undefined
      ? { moverImagePullSecrets: env['CAIRN_MOVER_IMAGE_PULL_SECRETS'].split(',').map((x) => x.trim()).filter((x) => x !== '') }
      : {}),
    ...(moverLogLevel !== undefined ? { moverLogLevel } : {}),
  },
  leaderElection:
    env['CAIRN_LEADER_ELECTION'] === 'false'
      ? false
      : { namespace: env['POD_NAMESPACE'] ?? 'cairn-system', name: 'cairn-operator', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, releaseOnStop: true },
  httpPort: Number(env['CAIRN_METRICS_PORT'] ?? 8080),
  onLostLeadership: () => {
    log.error('lost leadership; exiting so a fresh process starts as a candidate');
    process.exit(1);
  },
});

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  operator
    .stop(true)
    .then(() => process.exit(0))
    .catch((e: unknown) => {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    });
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

operator.start().catch((e: unknown) => {
  log.fatal({ err: e }, 'operator failed to start');
  process.exit(1);
});
