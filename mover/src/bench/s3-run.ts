// Run "s3": the pinned MinIO on loopback. (1) cairn's first backup of the shared dataset to S3 against the
// same to the filesystem (target: S3 throughput >= 0.8x the filesystem's); (2) restore of one big random file
// (default 2 GiB) from S3 by cairn and by kopia (target: cairn >= 300 MB/s). Restores go to tmpfs when there
// is one (as peers.sh does) and are compared with the source byte for byte. MinIO runs on the same cores as
// cairn: each backup's row says how much CPU both used, and the ceiling that leaves the ratio on this machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { canMakeCertificates, startMinio, type MinioServer } from '../../../e2e/support/minio.ts';
import { findTool } from '../../../e2e/support/tools.ts';
import type { BenchArgs } from './bench-args.ts';
import { formatBytes } from './byte-size.ts';
import { onCleanup, scratchDir } from './cleanup.ts';
import { availablePeers, makePeer, type Peer, type PeerName, type RepoTarget } from './peer-commands.ts';
import { writeRandomFiles } from './random-files.ts';
import { generateSharedDataset } from './shared-dataset.ts';
import { printTable, ratio, type Cell } from './summary-table.ts';
import { mustSucceed, timedCommand, type TimedResult } from './timed-command.ts';
import { warmCache } from './warm-cache.ts';
import { flushWrites } from './flush-writes.ts';
import { processCpuSeconds } from './process-cpu.ts';
import { availableParallelism } from 'node:os';

const TITLE = 's3: loopback MinIO against the filesystem';
const BUCKET = 'cairn-bench';

function apparentBytes(dir: string): number {
  const r = spawnSync('du', ['-sb', '--apparent-size', dir], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]);
}

export async function s3Run(args: BenchArgs): Promise<void> {
  if (findTool('minio') === undefined) {
    printTable(TITLE, ['outcome'], [['skipped: minio is not installed (bash e2e/tools/install.sh)']]);
    return;
  }
  const { dir, remove } = await scratchDir('s3');
  let stopMinio: (() => Promise<void>) | undefined;
  let stopMinioTls: (() => Promise<void>) | undefined;
  try {
    const minio = await startMinio({ dir: join(dir, 'minio') });
    stopMinio = onCleanup('MinIO', () => minio.stop());
    await minio.createBucket(BUCKET);
    const s3 = (prefix: string, server: MinioServer = minio): RepoTarget => ({
      kind: 's3', endpoint: server.endpoint, region: server.region, bucket: BUCKET, prefix,
      accessKey: server.accessKey, secretKey: server.secretKey, ca: server.caFile,
    });
    const peers = availablePeers();
    const init = async (peer: Peer, label: string): Promise<void> => {
      for (const [i, cmd] of peer.init.entries()) {
        mustSucceed(`${label} init`, await timedCommand(cmd, { env: peer.env, log: join(dir, `${label}-init${i}.log`) }));
      }
    };
    /** A step's result, with the CPU seconds the MinIO it used spent during it. */
    type StepResult = TimedResult & { readonly serverCpuSeconds?: number | undefined };
    const step = async (peer: Peer, label: string, cmd: string[], warm?: string, server?: MinioServer): Promise<StepResult> => {
      if (warm !== undefined) await warmCache(warm);
      await flushWrites();
      console.error(`bench s3: ${label}`);
      const before = processCpuSeconds(server?.pid);
      const r = mustSucceed(label, await timedCommand(cmd, { env: peer.env, log: join(dir, `${label.replace(/\W+/g, '-')}.log`) }));
      const after = processCpuSeconds(server?.pid);
      return before === undefined || after === undefined ? r : { ...r, serverCpuSeconds: after - before };
    };

    // (1) the shared dataset, to the filesystem and to S3
    const src = join(dir, 'src');
    console.error(`bench s3: generating the shared dataset (scale ${args.scale})`);
    await generateSharedDataset(src, args.scale, join(dir, 'gen.log'));
    const srcBytes = apparentBytes(src);
    const cairnFile = makePeer('cairn', peers.get('cairn')!, join(dir, 'cairn-file'), { kind: 'file', dir: join(dir, 'cairn-file/repo') });
    await init(cairnFile, 'cairn-file');
    const toFile = await step(cairnFile, 'cairn backup to file', cairnFile.backup(src), src);
    const cairnS3 = makePeer('cairn', peers.get('cairn')!, join(dir, 'cairn-s3'), s3('dataset/'));
    await init(cairnS3, 'cairn-s3');
    const toS3 = await step(cairnS3, 'cairn backup to s3', cairnS3.backup(src), src, minio);
    // the same over TLS, as S3 is used in production (uploads then skip the payload hash: s3-unsigned-payload.ts),
    // on a second MinIO that runs only for this step
    let toS3Tls: StepResult | undefined;
    if (canMakeCertificates()) {
      const minioTls = await startMinio({ dir: join(dir, 'minio-tls'), tls: true });
      stopMinioTls = onCleanup('MinIO (TLS)', () => minioTls.stop());
      await minioTls.createBucket(BUCKET);
      const cairnTls = makePeer('cairn', peers.get('cairn')!, join(dir, 'cairn-s3-tls'), s3('dataset/', minioTls));
      await init(cairnTls, 'cairn-s3-tls');
      toS3Tls = await step(cairnTls, 'cairn backup to s3 over TLS', cairnTls.backup(src), src, minioTls);
      await stopMinioTls();
    }
    await rm(join(dir, 'cairn-file'), { recursive: true, force: true });
    await rm(src, { recursive: true, force: true });
    const mbps = (bytes: number, r: TimedResult | undefined): number | undefined => (r === undefined ? undefined : bytes / 1e6 / r.wallSeconds);
    const fileRate = mbps(srcBytes, toFile);
    const s3Rate = mbps(srcBytes, toS3);
    const shareOf = ratio(s3Rate, fileRate);
    const s3TlsRate = mbps(srcBytes, toS3Tls);
    const tlsShareOf = ratio(s3TlsRate, fileRate);
    const shareTarget = (share: number | undefined): string => `>= 0.80x of file${share === undefined ? '' : share >= 0.8 ? ' met' : ' MISSED'}`;
    // CPU: cairn's (GNU time) and MinIO's (/proc) during a backup; with every core busy, the ratio to the
    // filesystem's time can be at most cairn's CPU to file over that plus MinIO's, even if S3 cost cairn nothing
    const cores = availableParallelism();
    const cpuCell = (r: StepResult | undefined): string => {
      if (r?.cpuSeconds === undefined) return '-';
      const server = r.serverCpuSeconds;
      return server === undefined ? r.cpuSeconds.toFixed(2) : `${r.cpuSeconds.toFixed(2)} + MinIO ${server.toFixed(2)}`;
    };
    const ceiling = (r: StepResult | undefined): string => {
      const server = r?.serverCpuSeconds;
      if (server === undefined || toFile.cpuSeconds === undefined || toFile.cpuSeconds < 0.9 * cores * toFile.wallSeconds) return '';
      return `ceiling ${(toFile.cpuSeconds / (toFile.cpuSeconds + server)).toFixed(2)}x`;
    };

    // (2) one big random file, backed up to S3 and restored from it, by cairn and by kopia
    const big = join(dir, 'big');
    console.error(`bench s3: writing ${formatBytes(args.bigBytes)} of random data`);
    const [bigFile] = await writeRandomFiles(big, args.bigBytes, 1);
    const restoreRoot = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : dir, 'cairn-bench-restore-'));
    onCleanup(restoreRoot, () => rm(restoreRoot, { recursive: true, force: true }));
    const restores = new Map<PeerName, TimedResult>();
    for (const tool of ['cairn', 'kopia'] as const) {
      const binary = peers.get(tool);
      if (binary === undefined) continue;
      const peer = makePeer(tool, binary, join(dir, `${tool}-big`), s3(`${tool}-big/`));
      await init(peer, `${tool}-big`);
      await step(peer, `${tool} backup of the big file to s3`, peer.backup(big), big);
      const out = join(restoreRoot, tool);
      const r = await step(peer, `${tool} restore of the big file from s3`, peer.restoreLatest(big, out));
      const restored = join(out, 'random-000.bin');
      if (spawnSync('cmp', ['-s', bigFile!, restored]).status !== 0) throw new Error(`${tool} restored ${restored} differently from ${bigFile}`);
      restores.set(tool, r);
      await rm(out, { recursive: true, force: true });
    }
    const cairnRestore = mbps(args.bigBytes, restores.get('cairn'));
    const rows: Cell[][] = [
      [`first backup, shared dataset (${(srcBytes / 1e9).toFixed(2)} GB) to file`, toFile.wallSeconds, fileRate, cpuCell(toFile), '', ''],
      ['first backup, shared dataset to s3 (http)', toS3.wallSeconds, s3Rate, cpuCell(toS3),
        shareOf === undefined ? '-' : `${shareOf.toFixed(2)}x of file ${ceiling(toS3)}`.trim(), shareTarget(shareOf)],
      ['first backup, shared dataset to s3 over TLS', toS3Tls?.wallSeconds, s3TlsRate, cpuCell(toS3Tls),
        tlsShareOf === undefined ? 'no TLS (openssl missing)' : `${tlsShareOf.toFixed(2)}x of file ${ceiling(toS3Tls)}`.trim(),
        shareTarget(tlsShareOf)],
      [`restore of a ${formatBytes(args.bigBytes)} random file from s3 by cairn`, restores.get('cairn')?.wallSeconds, cairnRestore, '', '',
        `>= 300 MB/s${cairnRestore === undefined ? '' : cairnRestore >= 300 ? ' met' : ' MISSED'}`],
      ['the same by kopia', restores.get('kopia')?.wallSeconds, mbps(args.bigBytes, restores.get('kopia')), '',
        restores.has('kopia') ? `${ratio(cairnRestore, mbps(args.bigBytes, restores.get('kopia')))?.toFixed(2)}x kopia's MB/s` : 'kopia not installed', ''],
    ];
    printTable(TITLE, ['step', 'wall s', 'MB/s', 'CPU s', 'ratio', 'target'], rows,
      [`MinIO ${minio.endpoint} (pinned build; a second one over TLS with a self-signed CA), data on ${dir}; restores into ${restoreRoot.startsWith('/dev/shm') ? 'tmpfs' : 'the scratch dir'}, verified with cmp`,
        'MB/s = source bytes / wall time of the whole command (start-up included); page cache flushed (sync) before each step',
        `CPU s = cairn's user + system time (GNU time), + MinIO's during the step (/proc); MinIO shares the ${cores} cores, so with the backup`,
        'to file CPU-bound (every core busy), the ratio is at most cairn\'s CPU to file / (that + MinIO\'s): the ceiling, even if S3 cost cairn nothing']);
  } finally {
    await stopMinioTls?.(); // before their data dirs go
    await stopMinio?.();
    await remove();
  }
}
