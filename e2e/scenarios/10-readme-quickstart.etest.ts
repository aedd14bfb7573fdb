// The README's Kubernetes quick start, run as written on the e2e cluster: the fenced block after the
// "e2e: kubernetes-quickstart" marker, line by line, with the cluster's kubectl and helm on PATH. Two
// differences, both about the environment rather than the commands: the image line is not rerun (the global
// setup built the same image with the same builder and name and imported it into the node, which is the
// README's "make it available to your nodes" step), and the release the global setup installed is
// uninstalled first so the README's `helm install` starts from scratch.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { shellBlockAfter } from '../support/readme-blocks.ts';
import { deleteNamespace, e2e, getJson } from './support/e2e-cluster.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NS = 'cairn-quickstart';

describe('the README Kubernetes quick start', () => {
  afterAll(() => deleteNamespace(NS));

  it('installs, backs up the sample app and lists a Snapshot, exactly as written', () => {
    const info = e2e();
    const lines = shellBlockAfter(readFileSync(join(REPO, 'README.md'), 'utf8'), /<!-- e2e: kubernetes-quickstart/);
    expect(lines[0]).toMatch(new RegExp(`^npm run image -- .*--name ${info.image.replace(/[.]/g, '\\.')}$`));
    const env = { ...process.env, KUBECONFIG: info.kubeconfig, PATH: `${dirname(info.kubectl)}:${dirname(info.helm)}:${process.env['PATH'] ?? ''}` };
    const sh = (line: string): string => {
      try {
        return execFileSync('bash', ['-euo', 'pipefail', '-c', line], { cwd: REPO, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
      } catch (e) {
        const x = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`README line failed: ${line}\n${x.stderr ?? ''}${x.stdout ?? ''}${x.message}`, { cause: e });
      }
    };
    sh(`helm uninstall cairn -n ${info.operatorNamespace} --wait`);
    let last = '';
    for (const line of lines.slice(1)) {
      process.stderr.write(`[10] $ ${line}\n`);
      last = sh(line);
    }
    process.stderr.write(last);
    const schedule = getJson<{ status?: { lastRun?: { result?: string; sources?: { files?: number }[] } } }>('snapshotschedule', 'app-data', NS);
    expect(schedule?.status?.lastRun?.result).toBe('Succeeded');
    expect(schedule?.status?.lastRun?.sources?.[0]?.files).toBe(200);
    expect(last).toMatch(/snapshot\.cairn\.dev\/app-data-[0-9a-f]+/);
  });
});
