import { defineConfig } from 'vitest/config';
import { ScenarioSequencer } from './tools/vitest/scenario-sequencer.ts';

// Three projects: "unit" needs nothing but Node; "integration" needs the real tools (MinIO, kopia,
// kube-apiserver) that .ci/run installs — with CAIRN_REQUIRE_TOOLS=1 a missing tool fails the test; "e2e" runs
// the scenarios on a real single-node cluster (e2e/cluster: kubelet, containerd, CSI) that its global setup
// brings up and tears down (`npm run test:e2e`, root only; a missing component always fails).
// Worker threads of unit and integration tests load their modules from a compile cache filled first
// (tools/vitest/compile-cache.ts: why).
const compileCache = { globalSetup: ['tools/vitest/compile-cache.ts'], setupFiles: ['tools/vitest/compile-cache-env.ts'] };
export default defineConfig({
  test: {
    sequence: { sequencer: ScenarioSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['mover/src/**/*.test.ts', 'operator/src/**/*.test.ts', 'e2e/**/*.test.ts', 'tools/**/*.test.ts'],
          testTimeout: 30_000,
          ...compileCache,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['e2e/**/*.itest.ts', 'mover/src/**/*.itest.ts', 'operator/src/**/*.itest.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          ...compileCache,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/scenarios/**/*.etest.ts'],
          globalSetup: ['e2e/scenarios/cluster-setup.ts'],
          setupFiles: ['e2e/scenarios/support/use-provided-info.ts'],
          testTimeout: 1_200_000,
          hookTimeout: 1_200_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
