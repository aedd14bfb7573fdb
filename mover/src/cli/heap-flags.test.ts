// The flags bin/cairn.mjs starts Node with change V8's flag hash (which decides whether Node's built-in code
// cache is used); deferred, the hash is a plain Node's, and applied again it is the flagged one.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const module = fileURLToPath(new URL('./heap-flags.ts', import.meta.url));
const FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=50'];

function tags(flags: readonly string[], steps: string): number[] {
  const script = `import { cachedDataVersionTag } from 'node:v8';
import { deferHeapFlags, applyHeapFlags, setAsideHeapFlagsWhileStarting, loadWithHeapFlagsAside } from ${JSON.stringify(module)};
const seen = [cachedDataVersionTag()];
${steps}
console.log(JSON.stringify(seen));`;
  const out = execFileSync(process.execPath, [...flags, '--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as number[];
}

describe('heap flags', () => {
  it('deferred, V8 hashes its flags as a plain Node does; applied again, as started', () => {
    const [plain] = tags([], '');
    const [started, deferred, applied] = tags(FLAGS, 'deferHeapFlags(); seen.push(cachedDataVersionTag()); applyHeapFlags(); seen.push(cachedDataVersionTag());');
    expect(started).not.toBe(plain);
    expect(deferred).toBe(plain);
    expect(applied).toBe(started);
  });

  it('leaves a process started without them alone', () => {
    const [plain, deferred, applied] = tags([], 'deferHeapFlags(); seen.push(cachedDataVersionTag()); applyHeapFlags(); seen.push(cachedDataVersionTag());');
    expect(deferred).toBe(plain);
    expect(applied).toBe(plain);
  });

  it('stay aside while any pool is starting its workers, and come back when the last one has loaded', () => {
    const [started, firstAside, secondAside, oneEnded, endedTwice, bothEnded] = tags(FLAGS, `
const endA = setAsideHeapFlagsWhileStarting(); seen.push(cachedDataVersionTag());
const endB = setAsideHeapFlagsWhileStarting(); seen.push(cachedDataVersionTag());
endA(); seen.push(cachedDataVersionTag());
endA(); seen.push(cachedDataVersionTag());
endB(); seen.push(cachedDataVersionTag());`);
    const [plain] = tags([], '');
    expect([firstAside, secondAside, oneEnded, endedTwice]).toEqual([plain, plain, plain, plain]);
    expect(bothEnded).toBe(started);
  });

  it('stay aside while more modules load, and come back when the load settles, failed or not', () => {
    const [started, whileLoading, loaded, whileFailing, failed] = tags(FLAGS, `
let done; const p = loadWithHeapFlagsAside(() => new Promise((r) => (done = r))); seen.push(cachedDataVersionTag());
done(); await p; await null; seen.push(cachedDataVersionTag());
let fail; const q = loadWithHeapFlagsAside(() => new Promise((_, r) => (fail = r))); seen.push(cachedDataVersionTag());
fail(new Error('x')); await q.catch(() => undefined); await null; seen.push(cachedDataVersionTag());`);
    const [plain] = tags([], '');
    expect([whileLoading, whileFailing]).toEqual([plain, plain]);
    expect([loaded, failed]).toEqual([started, started]);
  });
});
