import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: the heaviest end-to-end checks, in test/e2e/, which `npm test` leaves out (vitest.config.mts) to
// stay within its 25-minute budget: the docker-compose deployment on the real Temporal server, the emulated arm64
// push, the web UI in Chromium against a whole `npm start`, the crash-and-resume scenarios, random kills, and the remote build
// worker that shares no disk. `.ci/run` runs both.
// The same global setup as the integration project (one Temporal dev server for the files that use one; the compose
// stack brings its own server). One file at a time, tests in order: each is big for 2 cores.
if (!process.env.KILN_TEST_TMPDIR) {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-e2e-run-'));
  process.env.KILN_TEST_TMPDIR = runDir;
  process.env.TMPDIR = runDir;
  process.once('exit', () => fs.rmSync(runDir, { recursive: true, force: true }));
}

export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 1_200_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
