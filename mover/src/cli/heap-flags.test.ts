// The flags bin/cairn.mjs starts Node with change V8's flag hash (which decides whether Node's built-in code
// cache is used); deferred, the hash is a plain Node's, and applied again it is the flagged one.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const module = fileURLToPath(new URL('./heap-flags.ts', import.meta.url));
const FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=50'];

function tags(flags: readonly string[], steps: string): number[] {
  const script = `import { cachedDataVersionTag } from 'node:v8';
import { deferHeapFlags, applyHeapFlags } from ${JSON.stringify(module)};
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
});
