// Writes the page cache holds are flushed before a timed step, so the step does not pay for the kernel
// writing back what earlier steps wrote. The S3 run writes ~8 GB before its restore (a 2 GiB source, its
// backups to two repositories, MinIO's copies); measured here, a restore of 2.15 GB from MinIO took 10.3 s
// with 2 GB dirty in the page cache and 4.4-6.1 s after `sync` (its system time 11.6 -> 4.7 s).
import { spawn } from 'node:child_process';
import { waitTracked } from './cleanup.ts';

export async function flushWrites(): Promise<void> {
  const child = spawn('sync', [], { stdio: 'ignore', detached: true });
  const [code] = await waitTracked(child, 'sync');
  if (code !== 0) throw new Error(`bench: sync before a timed step failed (exit ${code})`);
}
