import * as fs from 'node:fs';
import * as path from 'node:path';
import { inject } from 'vitest';
import { parseConfig, type KilnConfig } from '../../domain/config';

export interface TestTree {
  name: string;
  url: string;
  /** deb (the default) or pacman; pacman trees default to x86_64. */
  format?: 'deb' | 'pacman';
  branches?: string[];
  architectures?: string[];
  concurrency?: number;
  webhookSecretEnv?: string;
  /**
   * build.installTest; default false here: the tests of the install test stage (push, pacman push, the crash and
   * npm start tests) turn it on, the others test other things and spare the containers.
   */
  installTest?: boolean;
  /** build.minFreeMb; default 0 here (test data dirs share the run's disk; the low-disk test sets its own). */
  minFreeMb?: number;
  /** The tree's `publish` block, as YAML flow (e.g. `{ keepSnapshots: 3 }`). */
  publish?: string;
}

/** A real config (through the real loader) for a fresh data dir, pointing at the test run's Temporal server. */
export function testConfig(trees: TestTree[], env: NodeJS.ProcessEnv = process.env): KilnConfig {
  // Inside the run's directory, which the global teardown removes: test runs leave no data dirs behind.
  const dataDir = fs.mkdtempSync(path.join(inject('temporalDataDir'), 'kiln-data-'));
  const yaml = [
    `dataDir: ${dataDir}`,
    `temporal: { address: "${inject('temporalAddress')}", embedded: false }`,
    'trees:',
    ...trees.flatMap((t) => [
      `  - name: ${t.name}`,
      `    url: ${t.url}`,
      `    format: ${t.format ?? 'deb'}`,
      '    distribution: bookworm',
      `    branches: [${(t.branches ?? ['main']).join(', ')}]`,
      `    architectures: [${(t.architectures ?? (t.format === 'pacman' ? ['x86_64'] : ['amd64', 'i386'])).join(', ')}]`,
      `    build: { concurrency: ${t.concurrency ?? 2}, timeoutMinutes: 10, memoryMb: 1024, cpus: 1, installTest: ${t.installTest ?? false}, minFreeMb: ${t.minFreeMb ?? 0} }`,
      ...(t.webhookSecretEnv ? [`    webhook: { secretEnv: ${t.webhookSecretEnv} }`] : []),
      ...(t.publish ? [`    publish: ${t.publish}`] : []),
    ]),
  ].join('\n');
  return parseConfig(yaml, dataDir, env);
}
