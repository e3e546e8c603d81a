import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: the end-to-end checks in test/e2e/ (the docker-compose deployment on the real Temporal server),
// which `npm test` leaves out (vitest.config.mts). One file at a time, tests in order: each stack is big for 2 cores.
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 1_200_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
