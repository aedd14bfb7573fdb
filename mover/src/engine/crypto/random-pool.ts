// Random bytes for per-content nonces, drawn from a per-thread pool that is refilled from the CSPRNG 4 KiB at a
// time. One randomFillSync call per sealed chunk cost ~2 us in a loop and 10+ us between the chunk's other work
// (a first backup of the shared dataset: ~140 ms of each hashing worker's CPU); the pool's bytes are the same
// CSPRNG's and each byte is handed out once (a nonce is public, stored beside its ciphertext: what matters is
// that it is unpredictable and never repeats).
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let used = POOL_BYTES;

/** Fills `dest` with cryptographically random bytes. */
export function fillRandom(dest: Uint8Array): void {
  if (dest.length > POOL_BYTES) {
    randomFillSync(dest);
    return;
  }
  if (used + dest.length > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  dest.set(pool.subarray(used, used + dest.length));
  used += dest.length;
}
