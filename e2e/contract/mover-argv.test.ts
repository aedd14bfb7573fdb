// The contract between the operator and the mover, tested by feeding one into the other: every argument list
// the operator can build (mover/src/contract/mover-argv.ts, through the operator's own Job builder) is parsed
// by the real `cairn` command-line parser, which must find the intended command, flags and arguments.
import { describe, expect, it } from 'vitest';
import { moverArgs, MOVER_COMMANDS, type MoverCommandName, type MoverGlobals, type MoverInvocation } from '../../mover/src/contract/mover-argv.ts';
import { COMMANDS } from '../../mover/src/cli/commands/index.ts';
import { parseCommandLine } from '../../mover/src/cli/parse-command-line.ts';
import { buildMoverJob } from '../../operator/src/jobs/mover-job.ts';
import { repositoryAccess } from '../../operator/src/jobs/repository-access.ts';
import type { BackupRepository } from '../../operator/src/api/resources.ts';
import type { Json } from '../../operator/src/api/core-types.ts';

// One sample of every command, with every optional field set (the Record makes a new command fail to compile
// here until it has a sample). Values that look like flags or contain spaces test the quoting of positionals.
const SAMPLES: Record<MoverCommandName, MoverInvocation> = {
  'repository create': { command: 'repository create', hash: 'HMAC-SHA256-128', encryption: 'AES256-GCM-HMAC-SHA256', compression: 'zstd' },
  'repository status': { command: 'repository status' },
  'snapshot create': {
    command: 'snapshot create', path: '/data', source: 'app@cairn:/pvc/data',
    tags: { 'cairn.dev/schedule': 'nightly' }, exclude: ['/lost+found', '*.tmp'], compression: 'zstd',
  },
  'snapshot restore': {
    command: 'snapshot restore', snapshot: 'latest', target: '/data', source: 'app@cairn:/pvc/data',
    asOf: '2026-11-30T00:00:00Z', paths: ['db', 'conf/app.yaml'], overwrite: true,
  },
  'snapshot expire': {
    command: 'snapshot expire', source: 'app@cairn:/pvc/data', timeZone: 'Europe/Berlin', apply: true,
    retention: { keepLatest: 3, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepAnnual: 2, keepWithin: '36h' },
  },
  'snapshot delete': { command: 'snapshot delete', id: '-k0123456789abcdef' },
  'maintenance run': { command: 'maintenance run', full: true },
};

const GLOBALS: MoverGlobals = {
  repo: 's3://backups/team?endpoint=https%3A%2F%2Fminio%3A9000&region=eu-1', passwordFile: '/etc/cairn/repository/password',
  s3CredentialsDir: '/etc/cairn/s3', resultFile: '/dev/termination-log', logLevel: 'info', cacheDir: '/var/cache/cairn',
};

function parse(argv: readonly string[]): { name: string; values: Record<string, unknown>; positionals: readonly string[] } {
  const line = parseCommandLine(argv, COMMANDS);
  if (line.kind !== 'run') throw new Error(`parsed as help: ${argv.join(' ')}`);
  const { command, values, positionals } = line;
  expect(positionals.length).toBeGreaterThanOrEqual(command.minArgs);
  expect(positionals.length).toBeLessThanOrEqual(command.maxArgs);
  return { name: command.name, values, positionals };
}

describe('mover argv contract', () => {
  it('covers every command the operator runs, and each exists in the CLI', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...MOVER_COMMANDS].sort());
    for (const name of MOVER_COMMANDS) expect(COMMANDS.map((c) => c.name)).toContain(name);
  });

  it.each(MOVER_COMMANDS)('%s parses in the CLI with the intended flags and arguments', (name) => {
    const inv = SAMPLES[name];
    const { name: parsed, values, positionals } = parse(moverArgs(GLOBALS, inv));
    expect(parsed).toBe(name);
    expect(values).toMatchObject({
      repo: GLOBALS.repo, 'password-file': GLOBALS.passwordFile, 's3-credentials-dir': GLOBALS.s3CredentialsDir,
      'result-file': GLOBALS.resultFile, 'log-level': 'info', 'cache-dir': GLOBALS.cacheDir,
    });
    switch (inv.command) {
      case 'repository create':
        expect(values).toMatchObject({ hash: inv.hash, encryption: inv.encryption, compression: inv.compression });
        break;
      case 'snapshot create':
        expect(positionals).toEqual(['/data']);
        expect(values).toMatchObject({ source: inv.source, tag: ['cairn.dev/schedule=nightly'], exclude: ['/lost+found', '*.tmp'], compression: 'zstd' });
        break;
      case 'snapshot restore':
        expect(positionals).toEqual(['latest', '/data']);
        expect(values).toMatchObject({ source: inv.source, 'as-of': inv.asOf, path: ['db', 'conf/app.yaml'], overwrite: true });
        break;
      case 'snapshot expire':
        expect(values).toMatchObject({
          source: inv.source, 'time-zone': 'Europe/Berlin', apply: true, 'keep-latest': '3', 'keep-hourly': '24', 'keep-daily': '7',
          'keep-weekly': '4', 'keep-monthly': '12', 'keep-annual': '2', 'keep-within': '36h',
        });
        break;
      case 'snapshot delete':
        expect(positionals).toEqual(['-k0123456789abcdef']);
        break;
      case 'maintenance run':
        expect(values).toMatchObject({ full: true });
        break;
      case 'repository status':
        expect(positionals).toEqual([]);
        break;
    }
  });

  it('parses the args of the Job the operator builds, main and init containers alike', () => {
    const repo: BackupRepository = {
      apiVersion: 'cairn.dev/v1alpha1', kind: 'BackupRepository', metadata: { name: 'r', namespace: 'app', uid: 'u1' },
      spec: {
        storage: { filesystem: { claimName: 'repo', path: '/cairn' } },
        passwordSecretRef: { name: 'repo-pass', key: 'password' }, initialize: 'IfMissing',
        creation: { hash: 'HMAC-SHA256-128', encryption: 'AES256-GCM-HMAC-SHA256', compression: 'zstd' },
        maintenance: { schedule: 'H H * * *', timeZone: 'UTC', full: true, suspend: false },
      },
    };
    const job = buildMoverJob({
      name: 'j', namespace: 'app', owner: repo, purpose: 'maintenance', image: 'cairn:test', command: ['cairn'],
      invocation: SAMPLES['maintenance run'], access: repositoryAccess(repo), overrides: {}, privileged: false,
      initSteps: [{ name: 'expire-0', invocation: SAMPLES['snapshot expire'] }],
    });
    const pod = job.spec!.template.spec;
    const containers = [...(pod['initContainers'] as Json[]), ...(pod['containers'] as Json[])];
    expect(containers.map((c) => parse(c['args'] as string[]).name)).toEqual(['snapshot expire', 'maintenance run']);
    for (const c of containers) {
      expect(parse(c['args'] as string[]).values).toMatchObject({ repo: 'file:///repository/cairn?shared=group', 'result-file': '/dev/termination-log' });
    }
  });
});
