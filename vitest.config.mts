import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineConfig } from 'vitest/config';

// Every temporary file of the run (tests use os.tmpdir(), which reads TMPDIR; test processes inherit it) goes in one
// directory, removed when the run ends: runs leave nothing behind in /tmp.
if (!process.env.KILN_TEST_TMPDIR) {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-test-run-'));
  process.env.KILN_TEST_TMPDIR = runDir;
  process.env.TMPDIR = runDir;
  process.once('exit', () => fs.rmSync(runDir, { recursive: true, force: true }));
}

// Two projects: `unit` (pure logic, *.test.ts) and `integration` (*.int.test.ts: the real Temporal server started once
// per run by test/global-setup.ts, and the real Docker engine). Integration files run one at a time: on these 2-core
// machines they share one Docker engine and one Temporal server. test/e2e/ is neither: `npm run test:e2e` runs it with
// vitest.e2e.config.mts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'test/e2e/**', 'node_modules/**'],
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
