// Reads every file under a directory once so the timed step starts page-cache warm, as peers.sh does
// (CPU-bound figures; the disks of these VMs are noisy).
import { spawn } from 'node:child_process';
import { waitTracked } from './cleanup.ts';

export async function warmCache(dir: string): Promise<void> {
  const child = spawn('sh', ['-c', 'find "$0" -type f -print0 | xargs -0 -r cat > /dev/null', dir], { stdio: 'ignore', detached: true });
  const [code] = await waitTracked(child, `warm ${dir}`);
  if (code !== 0) throw new Error(`bench: reading ${dir} to warm the page cache failed (exit ${code})`);
}
