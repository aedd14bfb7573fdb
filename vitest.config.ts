import { defineConfig } from 'vitest/config';

// Two projects: "unit" needs nothing but Node; "integration" needs the real tools (MinIO, kopia,
// kube-apiserver) that .ci/run installs. With CAIRN_REQUIRE_TOOLS=1 a missing tool fails the test.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['mover/src/**/*.test.ts', 'operator/src/**/*.test.ts', 'e2e/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['e2e/**/*.itest.ts', 'mover/src/**/*.itest.ts', 'operator/src/**/*.itest.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
