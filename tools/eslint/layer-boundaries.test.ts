// The architecture rules (layer-boundaries.mjs, engine-purity.mjs) through the project's real eslint.config.mjs:
// each forbidden import kind is reported with its own message, and the near-misses that are allowed are not.
// Code strings are linted under fake file names; nothing is written to disk.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The cairn rule messages for `code` as `rule:messageId`, failing on parse errors (which would hide them). */
async function cairnMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  const fatal = result.messages.filter((m) => m.fatal);
  expect(fatal.map((m) => m.message)).toEqual([]);
  const ours = result.messages.filter((m) => m.ruleId?.startsWith('cairn/'));
  for (const m of ours) expect(m.message).not.toContain('{{');
  return ours.map((m) => `${m.ruleId!.slice('cairn/'.length)}:${m.messageId}`);
}

interface Case { name: string; file: string; code: string; errors: string[] }

const E = 'mover/src/engine';
const up = 'layer-boundaries:upward';
const sibling = 'layer-boundaries:sibling';
const pkg = 'layer-boundaries:package';
const proc = 'engine-purity:process';
const pureIo = 'engine-purity:pureIo';

const invalid: Case[] = [
  // 1. layer order, with the new ranks
  { name: 'repo imports snapshot (upward)', file: `${E}/repo/a.ts`, code: `import { x } from '../snapshot/m.ts'; x;`, errors: [up] },
  { name: 'snapshot imports policy (model below policy)', file: `${E}/snapshot/a.ts`, code: `import { x } from '../policy/m.ts'; x;`, errors: [up] },
  { name: 'policy imports upload', file: `${E}/policy/a.ts`, code: `import { x } from '../upload/m.ts'; x;`, errors: [up] },
  { name: 'restore imports maintenance', file: `${E}/restore/a.ts`, code: `import { x } from '../maintenance/m.ts'; x;`, errors: [up] },
  { name: 'maintenance imports cli', file: `${E}/maintenance/a.ts`, code: `import { x } from '../../cli/m.ts'; x;`, errors: [up] },
  { name: 'util imports blob', file: `${E}/util/a.ts`, code: `import { x } from '../blob/m.ts'; x;`, errors: [up] },
  { name: 'errors.ts imports content', file: `${E}/errors.ts`, code: `import { x } from './content/m.ts'; x;`, errors: [up] },
  { name: 'contract imports the engine', file: 'mover/src/contract/a.ts', code: `import { x } from '../engine/errors.ts'; x;`, errors: [up] },
  { name: 're-export upward', file: `${E}/object/a.ts`, code: `export * from '../manifest/m.ts';`, errors: [up] },
  { name: 'named re-export upward', file: `${E}/object/a.ts`, code: `export { x } from '../repo/m.ts';`, errors: [up] },
  { name: 'dynamic import upward', file: `${E}/content/a.ts`, code: `export const m = import('../object/m.ts');`, errors: [up] },
  { name: 'import type upward', file: `${E}/format/a.ts`, code: `import type { X } from '../content/m.ts'; export type Y = X;`, errors: [up] },
  { name: 'inline import() type upward', file: `${E}/format/a.ts`, code: `export type Y = import('../content/m.ts').X;`, errors: [up] },
  // sibling ranks
  { name: 'crypto imports compression', file: `${E}/crypto/a.ts`, code: `import { x } from '../compression/m.ts'; x;`, errors: [sibling] },
  { name: 'blob imports crypto', file: `${E}/blob/a.ts`, code: `import { x } from '../crypto/m.ts'; x;`, errors: [sibling] },
  { name: 'verify imports restore', file: `${E}/verify/a.ts`, code: `import { x } from '../restore/m.ts'; x;`, errors: [sibling] },
  { name: 'upload imports verify', file: `${E}/upload/a.ts`, code: `import { x } from '../verify/m.ts'; x;`, errors: [sibling] },
  // pipelines use content's public API only
  { name: 'upload imports crypto', file: `${E}/upload/a.ts`, code: `import { x } from '../crypto/encryptors.ts'; x;`, errors: ['layer-boundaries:pipelineInternals'] },
  { name: 'restore imports the pack format', file: `${E}/restore/a.ts`, code: `import { x } from '../content/pack-reader.ts'; x;`, errors: ['layer-boundaries:pipelineInternals'] },
  { name: 'verify imports compression', file: `${E}/verify/a.ts`, code: `import { x } from '../compression/compressors.ts'; x;`, errors: ['layer-boundaries:pipelineInternals'] },
  { name: 'upload imports the blob layer', file: `${E}/upload/a.ts`, code: `import { x } from '../blob/blob-store.ts'; x;`, errors: ['layer-boundaries:pipelineInternals'] },
  { name: 'upload imports format', file: `${E}/upload/a.ts`, code: `import { x } from '../format/repository-config.ts'; x;`, errors: ['layer-boundaries:pipelineInternals'] },
  { name: 'a blob test imports crypto (only pipeline tests may use a sibling)', file: `${E}/blob/a.test.ts`, code: `import { x } from '../crypto/m.ts'; x;`, errors: [sibling] },
  // 2. areas and packages
  { name: 'operator imports the engine', file: 'operator/src/jobs/a.ts', code: `import { x } from '../../../mover/src/engine/errors.ts'; x;`, errors: ['layer-boundaries:operator'] },
  { name: 'operator imports the cli', file: 'operator/src/a.ts', code: `import { x } from '../../mover/src/cli/m.ts'; x;`, errors: ['layer-boundaries:operator'] },
  { name: 'mover imports operator code', file: 'mover/src/cli/a.ts', code: `import { x } from '../../../operator/src/api/m.ts'; x;`, errors: ['layer-boundaries:moverToOperator'] },
  { name: 'engine imports operator code', file: `${E}/blob/a.ts`, code: `import { x } from '../../../../operator/src/m.ts'; x;`, errors: ['layer-boundaries:moverToOperator'] },
  { name: 'mover imports @kubernetes/client-node', file: 'mover/src/cli/a.ts', code: `import { KubeConfig } from '@kubernetes/client-node'; KubeConfig;`, errors: [pkg] },
  { name: 'engine outside blob imports @aws-sdk', file: `${E}/repo/a.ts`, code: `import { S3Client } from '@aws-sdk/client-s3'; S3Client;`, errors: [pkg] },
  { name: 'cli imports @smithy', file: 'mover/src/cli/a.ts', code: `import { NodeHttpHandler } from '@smithy/node-http-handler'; NodeHttpHandler;`, errors: [pkg] },
  { name: 'operator imports @aws-sdk', file: 'operator/src/a.ts', code: `import type { S3Client } from '@aws-sdk/client-s3'; export type C = S3Client;`, errors: [pkg] },
  { name: 'engine folder not in the table', file: `${E}/pipelines/a.ts`, code: `export const x = 1;`, errors: ['layer-boundaries:unknownLayer'] },
  { name: 'mover/src folder not in the table', file: 'mover/src/daemon/a.ts', code: `export const x = 1;`, errors: ['layer-boundaries:unknownLayer'] },
  // 3. process and console in engine code
  { name: 'process.env', file: `${E}/blob/a.ts`, code: `export const v = process.env.X;`, errors: [proc] },
  { name: 'process.exit', file: `${E}/maintenance/a.ts`, code: `process.exit(1);`, errors: [proc] },
  { name: 'process.argv', file: `${E}/upload/a.ts`, code: `export const a = process.argv;`, errors: [proc] },
  { name: 'process.stdout', file: `${E}/verify/a.ts`, code: `process.stdout.write('x');`, errors: [proc] },
  { name: 'process.stderr', file: `${E}/util/a.ts`, code: `process.stderr.write('x');`, errors: [proc] },
  { name: "process['env']", file: `${E}/repo/a.ts`, code: `export const v = process['env'];`, errors: [proc] },
  { name: 'process aliased', file: `${E}/repo/a.ts`, code: `const p = process; export const v = p;`, errors: [proc] },
  { name: 'process destructured', file: `${E}/repo/a.ts`, code: `const { env } = process; export const v = env;`, errors: [proc] },
  { name: 'globalThis.process', file: `${E}/repo/a.ts`, code: `export const v = globalThis.process;`, errors: [proc] },
  { name: "default import of 'node:process'", file: `${E}/content/a.ts`, code: `import process from 'node:process'; export const v = process;`, errors: [proc] },
  { name: "namespace import of 'process'", file: `${E}/content/a.ts`, code: `import * as p from 'process'; export const v = p;`, errors: [proc] },
  { name: "import { env } from 'node:process'", file: `${E}/content/a.ts`, code: `import { env, hrtime } from 'node:process'; export const v = [env, hrtime];`, errors: [proc] },
  { name: "dynamic import('node:process')", file: `${E}/content/a.ts`, code: `export const m = import('node:process');`, errors: [proc] },
  { name: 'console', file: `${E}/snapshot/a.ts`, code: `console.log('x');`, errors: ['engine-purity:console'] },
  // 4. I/O in pure modules
  { name: 'crypto imports node:fs', file: `${E}/crypto/a.ts`, code: `import { readFileSync } from 'node:fs'; readFileSync;`, errors: [pureIo] },
  { name: 'compression imports fs/promises', file: `${E}/compression/a.ts`, code: `import { readFile } from 'fs/promises'; readFile;`, errors: [pureIo] },
  { name: 'splitter imports node:worker_threads', file: `${E}/object/fastcdc-splitter.ts`, code: `import { Worker } from 'node:worker_threads'; Worker;`, errors: [pureIo] },
  { name: 'go-math-rand imports node:net', file: `${E}/object/go-math-rand.ts`, code: `import { connect } from 'node:net'; connect;`, errors: [pureIo] },
  { name: 'go-rand-cooked imports node:https', file: `${E}/object/go-rand-cooked.ts`, code: `import { get } from 'node:https'; get;`, errors: [pureIo] },
  { name: 'zone-calendar imports child_process', file: `${E}/policy/zone-calendar.ts`, code: `import { execFileSync } from 'node:child_process'; execFileSync;`, errors: [pureIo] },
  { name: 'snapshot-retention imports node:http', file: `${E}/policy/snapshot-retention.ts`, code: `import { request } from 'node:http'; request;`, errors: [pureIo] },
  { name: 'duration imports the blob layer', file: `${E}/policy/duration.ts`, code: `import type { BlobStore } from '../blob/blob-store.ts'; export type B = BlobStore;`, errors: [pureIo] },
];

const valid: Omit<Case, 'errors'>[] = [
  { name: 'layers import downward', file: `${E}/upload/a.ts`, code: `import { a } from '../snapshot/m.ts'; import { b } from '../policy/m.ts'; import { c } from '../repo/m.ts'; import { d } from '../util/m.ts'; import { e } from '../errors.ts'; import { f } from '../../contract/m.ts'; export const v = [a, b, c, d, e, f];` },
  { name: 'maintenance imports a pipeline', file: `${E}/maintenance/a.ts`, code: `import { x } from '../verify/m.ts'; x;` },
  { name: 'cli imports the engine and bench', file: 'mover/src/cli/a.ts', code: `import { x } from '../engine/maintenance/m.ts'; import { y } from '../bench/m.ts'; export const v = [x, y];` },
  { name: 'same layer', file: `${E}/restore/a.ts`, code: `import { x } from './b.ts'; x;` },
  { name: 'blob imports the AWS SDK', file: `${E}/blob/s3-store.ts`, code: `import { S3Client } from '@aws-sdk/client-s3'; import { NodeHttpHandler } from '@smithy/node-http-handler'; export const v = [S3Client, NodeHttpHandler];` },
  { name: 'operator imports the contract and client-node', file: 'operator/src/jobs/a.ts', code: `import { x } from '../../../mover/src/contract/m.ts'; import { KubeConfig } from '@kubernetes/client-node'; export const v = [x, KubeConfig];` },
  { name: 'e2e harness imports both SDKs', file: 'e2e/support/a.ts', code: `import { S3Client } from '@aws-sdk/client-s3'; import { KubeConfig } from '@kubernetes/client-node'; export const v = [S3Client, KubeConfig];` },
  { name: 'allowed process members', file: `${E}/restore/a.ts`, code: `import { hrtime } from 'node:process'; export const v = [hrtime.bigint(), process.getuid?.(), process.geteuid?.(), process.hrtime.bigint()];` },
  { name: 'a local named process or console', file: `${E}/maintenance/a.ts`, code: `const process = (n: number): number => n; export const v = process(1); export function f(console: { log(s: string): void }): void { console.log('x'); }` },
  { name: 'type-only use of process', file: `${E}/repo/a.ts`, code: `export type Env = typeof process.env; export type P = typeof process;` },
  { name: 'upload uses the content preparer', file: `${E}/upload/a.ts`, code: `import { x } from '../content/content-preparer.ts'; x;` },
  { name: 'restore uses the pack reader', file: `${E}/restore/a.ts`, code: `import { x } from '../content/pack-contents-reader.ts'; x;` },
  { name: 'a pipeline test builds fixtures with the blob layer', file: `${E}/restore/a.test.ts`, code: `import { x } from '../blob/memory-store.ts'; x;` },
  { name: 'a pipeline test may run a sibling pipeline (round trip)', file: `${E}/upload/a.test.ts`, code: `import { x } from '../restore/m.ts'; x;` },
  { name: 'engine tests may use process and console', file: `${E}/blob/a.test.ts`, code: `console.log(process.env.X); process.exitCode = 0;` },
  { name: 'engine test support may use process', file: `${E}/object/test-support/a.ts`, code: `export const v = process.env.X;` },
  { name: 'cli uses process and console', file: 'mover/src/cli/a.ts', code: `console.log(process.argv); process.exit(0);` },
  { name: 'impure engine module does I/O', file: `${E}/content/cache.ts`, code: `import { readFile } from 'node:fs/promises'; import { Worker } from 'node:worker_threads'; export const v = [readFile, Worker];` },
  { name: 'pure module test reads fixtures', file: `${E}/compression/a.test.ts`, code: `import { readFileSync } from 'node:fs'; readFileSync;` },
  { name: 'pure module uses node:crypto and zlib', file: `${E}/crypto/a.ts`, code: `import { createHash } from 'node:crypto'; import { gzipSync } from 'node:zlib'; import { x } from '../util/m.ts'; export const v = [createHash, gzipSync, x];` },
  { name: 'non-pure policy module imports fs', file: `${E}/policy/policy-store.ts`, code: `import { readFile } from 'node:fs/promises'; readFile;` },
];

describe('architecture lint rules', () => {
  it.each(invalid)('reports: $name', async ({ file, code, errors }) => {
    expect(await cairnMessages(file, code)).toEqual(errors);
  });

  it.each(valid)('allows: $name', async ({ file, code }) => {
    expect(await cairnMessages(file, code)).toEqual([]);
  });

  it('names both layers and the fix in the message', async () => {
    const [result] = await eslint.lintText(`import { x } from '../snapshot/m.ts'; export const v = x;\n`, { filePath: path.join(root, E, 'repo/a.ts') });
    expect(result.messages.map((m) => m.message)).toEqual(['repo must not import snapshot: layers import downward only (ARCHITECTURE.md)']);
  });
});
