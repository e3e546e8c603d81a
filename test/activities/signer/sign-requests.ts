import type { SignRequest } from '../../../activities/signer-activities';
import { parseConfig, type KilnConfig } from '../../../domain/config';
import { releaseFile, type IndexFile } from '../../../domain/publish/apt-index';

// What the signer tests sign: Release files as the publish activities write them, for the tree of signerConfig().

export const TREE = 'example';
export const COMMIT = 'c0ffee'.padEnd(40, '0');

/** The signer's configuration: tree `example` (branches main → suite main, release/1 → suite stable), amd64 and i386. */
export function signerConfig(keysDir: string, options: { signaturesPerMinute?: number; passwordDir?: string } = {}): KilnConfig {
  return parseConfig([
    `dataDir: ${keysDir}/data`,
    `signer: { keysDir: ${keysDir}, signaturesPerMinute: ${options.signaturesPerMinute ?? 6000}${options.passwordDir ? `, passwordDir: ${options.passwordDir}` : ''} }`,
    'trees:',
    `  - name: ${TREE}`,
    '    url: /nonexistent/ports',
    '    format: deb',
    '    distribution: bookworm',
    '    branches: [main, release/1]',
    '    architectures: [amd64, i386]',
    "    publish: { suites: { 'release/1': stable } }",
  ].join('\n'), keysDir);
}

function files(seed: string): IndexFile[] {
  return ['amd64', 'i386'].flatMap((arch) => ['Packages', 'Packages.xz'].map((name, i) => ({
    path: `main/binary-${arch}/${name}`, size: 100 + i, sha256: Buffer.from(`${seed}${arch}${name}`).toString('hex').padEnd(64, '0').slice(0, 64),
  })));
}

/** A sign request for snapshot `snapshot` of `branch`; `seed` varies the index hashes (another Release, same number). */
export function signRequest(snapshot: number, options: { branch?: string; suite?: string; seed?: string; date?: Date } = {}): SignRequest {
  const branch = options.branch ?? 'main';
  const suite = options.suite ?? (branch === 'release/1' ? 'stable' : branch);
  const release = releaseFile({
    tree: TREE, branch, suite, arches: ['amd64', 'i386'], snapshot, commit: COMMIT,
    date: options.date ?? new Date(Date.UTC(2026, 11, 1, 12, 0, 0)), files: files(options.seed ?? 'a'),
  });
  return { tree: TREE, branch, suite, snapshot, commit: COMMIT, release };
}
