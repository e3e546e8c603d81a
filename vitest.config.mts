import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, *.test.ts) and `integration` (*.int.test.ts: the real Temporal server started once
// per run by test/global-setup.ts, and the real Docker engine). Integration files run one at a time: on these 2-core
// machines they share one Docker engine and one Temporal server.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
