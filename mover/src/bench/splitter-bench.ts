// Micro-benchmark of the splitters (not a test): node mover/src/bench/splitter-bench.ts [MiB] [reps]
// Prints the best and median MB/s over `reps` passes of a random buffer, plus a plain one-byte gear loop as
// a yardstick for how loaded the machine is (reference/perf.md §3.3: ~1.0-1.2 G bytes/s for that loop).
import { createCipheriv } from 'node:crypto';
import { GEAR_TABLE } from '../engine/object/fastcdc-splitter.ts';
import { createSplitter } from '../engine/object/splitter-factory.ts';

const mib = Number(process.argv[2] ?? 256);
const reps = Number(process.argv[3] ?? 5);
const data = createCipheriv('aes-256-ctr', Buffer.alloc(32, 1), Buffer.alloc(16)).update(Buffer.alloc(mib << 20));

function measure(label: string, run: () => number): void {
  const rates: number[] = [];
  let chunks = 0;
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    chunks = run();
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    rates.push(data.length / 1e6 / s);
  }
  rates.sort((a, b) => b - a);
  const mean = chunks > 0 ? (data.length / chunks / 1024).toFixed(0) : '-';
  console.log(`${label.padEnd(24)} best ${rates[0]!.toFixed(0).padStart(5)} MB/s  median ${rates[rates.length >> 1]!.toFixed(0).padStart(5)} MB/s  chunks ${chunks} (mean ${mean} KiB)`);
}

function gearLoop(buf: Uint8Array, g: Int32Array): number {
  let h = 0;
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    h = ((h << 1) + g[buf[i]!]!) | 0;
    if ((h & 0x7ffffe00) === 0) n++;
  }
  return n;
}

console.log(`${mib} MiB random data, ${reps} passes`);
measure('gear loop (yardstick)', () => gearLoop(data, GEAR_TABLE));
for (const name of ['FASTCDC-1M', 'DYNAMIC-4M-BUZHASH', 'DYNAMIC-1M-BUZHASH']) {
  const s = createSplitter(name);
  measure(name, () => {
    s.reset();
    let pos = 0;
    let n = 0;
    while (pos < data.length) {
      const cut = s.next(data, pos, data.length);
      if (cut < 0) break;
      n++;
      pos = cut;
    }
    return n;
  });
}
