// Micro-benchmark of one hashing worker's per-MiB costs on random data (not a test), one thread:
//   node mover/src/bench/seal-bench.ts [MiB] [reps] [stage name parts to run, e.g. fastcdc seal]
// Stages: FastCDC split, keyed hash (HMAC-SHA256-128), the zstd attempt, the AES-256-GCM seal, and the whole
// ContentPreparer.prepareInto path, next to raw node:crypto yardsticks (SHA-256 and one AES-256-GCM cipher
// over the same bytes) that show how loaded the machine is. Prints the median and best ms per MiB over
// `reps` alternated passes, in CPU time of this process (compare numbers only from the same run: the machine is shared).
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { compressorByName } from '../engine/compression/compressors.ts';
import { ContentPreparer, createPreparerSpec } from '../engine/content/content-preparer.ts';
import { createEncryptor } from '../engine/crypto/encryptors.ts';
import { createHasher } from '../engine/crypto/hashers.ts';
import { createSplitter } from '../engine/object/splitter-factory.ts';

const mib = Number(process.argv[2] ?? 64);
const reps = Number(process.argv[3] ?? 7);
const data = createCipheriv('aes-256-ctr', Buffer.alloc(32, 1), Buffer.alloc(16)).update(Buffer.alloc(mib << 20));

const splitter = createSplitter('FASTCDC-1M');
const bounds: Array<[number, number]> = [];
let pos = 0;
while (pos < data.length) {
  const cut = splitter.next(data, pos, data.length);
  const end = cut < 0 ? data.length : cut;
  bounds.push([pos, end]);
  pos = end;
}
const chunks = bounds.map(([s, e]) => data.subarray(s, e));
const out = Buffer.allocUnsafeSlow(9 << 20);
const secret = randomBytes(32);
const masterKey = randomBytes(32);
const hasher = createHasher('HMAC-SHA256-128', secret);
const encryptor = createEncryptor('AES256-GCM-HMAC-SHA256', masterKey);
const zstd = compressorByName('zstd');
const scratch = Buffer.allocUnsafeSlow(9 << 20);
const iv = randomBytes(16);
const aesKey = randomBytes(32);

const stages: Record<string, () => void> = {
  'sha256 raw (yardstick)': () => {
    createHash('sha256').update(data).digest();
  },
  'aes-gcm raw (yardstick)': () => {
    const c = createCipheriv('aes-256-gcm', aesKey, iv.subarray(0, 12));
    // each output freed at once (as encryptors.ts does), so the yardstick measures the cipher, not page faults
    for (let o = 0; o < data.length; o += 1 << 20) (c.update(data.subarray(o, o + (1 << 20))).buffer as ArrayBuffer).transfer(0);
    c.final();
  },
  'fastcdc split': () => {
    splitter.reset();
    let p = 0;
    while (p < data.length) {
      const cut = splitter.next(data, p, data.length);
      if (cut < 0) break;
      p = cut;
    }
  },
  'hmac hash': () => {
    for (const c of chunks) hasher.hash(c);
  },
  'zstd attempt': () => {
    for (const c of chunks) zstd.compressInto!(c, scratch.subarray(4, c.length - 1));
  },
  'aes-gcm seal': () => {
    for (const c of chunks) encryptor.encryptInto(c, iv, out, 0);
  },
  'prepareInto (all)': () => {
    // a fresh preparer each pass: its "already prepared" set must not turn passes 2.. into dedup hits
    const p = ContentPreparer.fromSpec(createPreparerSpec({
      hash: 'HMAC-SHA256-128', hmacSecret: secret, encryption: 'AES256-GCM-HMAC-SHA256', masterKey,
      compression: 'zstd', existing: undefined,
    }));
    for (const c of chunks) p.prepareInto(c, out, 0);
  },
};

const selected = process.argv.slice(4);
const names = Object.keys(stages).filter((n) => selected.length === 0 || selected.some((s) => n.includes(s)));
const times = new Map<string, number[]>(names.map((n) => [n, []]));
for (let r = 0; r < reps; r++) {
  for (const n of names) {
    // CPU time of this (single-threaded) process, not wall time: other jobs on the machine do not count
    const t = process.cpuUsage();
    stages[n]!();
    const d = process.cpuUsage(t);
    times.get(n)!.push((d.user + d.system) / 1e3 / mib);
  }
}
console.log(`${mib} MiB random data, ${chunks.length} chunks (mean ${(data.length / chunks.length / 1024).toFixed(0)} KiB), ${reps} alternated passes; CPU ms per MiB`);
for (const n of names) {
  const ts = times.get(n)!.sort((a, b) => a - b);
  console.log(`${n.padEnd(26)} median ${ts[ts.length >> 1]!.toFixed(3)}  best ${ts[0]!.toFixed(3)}`);
}
