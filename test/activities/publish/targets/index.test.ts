import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  PublishTargetError, SIGNATURE_HEADER, describeTarget, runPublishTarget, toApplicationFailure, type PublishTargetContext,
} from '../../../../activities/publish/targets';
import { parseConfig, suiteOf, targetsOf } from '../../../../domain/config';

// The configured targets of a real loaded config, run against a local folder and a local HTTP server.

function snapshotDir(root: string): string {
  const dir = path.join(root, 'snapshots', '000003');
  fs.mkdirSync(path.join(dir, 'dists', 'stable'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'pool', 'main'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'dists', 'stable', 'Release'), 'Suite: stable\n');
  fs.writeFileSync(path.join(dir, 'pool', 'main', 'hello_1.0_amd64.deb'), 'deb');
  return dir;
}

describe('runPublishTarget', () => {
  it('runs each configured target of a branch and says what it did', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-targets-'));
    const signatures: string[] = [];
    const server = http.createServer((req, res) => {
      signatures.push(String(req.headers[SIGNATURE_HEADER.toLowerCase()]));
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const config = parseConfig(stringify({
        dataDir: './data',
        trees: [{
          name: 'ports', url: './ports', format: 'deb', distribution: 'bookworm', branches: ['main', 'dev'], architectures: ['amd64'],
          publish: {
            suites: { main: 'stable' },
            targets: [
              { rsync: './mirror', branches: ['main'] },
              { trigger: url, secretEnv: 'KILN_TRIGGER_SECRET' },
            ],
          },
        }],
      }), root, { KILN_TRIGGER_SECRET: 'hook-secret' });
      const tree = config.trees[0];
      const context: PublishTargetContext = {
        tree: tree.name, branch: 'main', suite: suiteOf(tree, 'main'), snapshot: 3, commit: 'c'.repeat(40),
        publishedAt: '2024-05-01T12:00:00.000Z', snapshotDir: snapshotDir(root),
      };

      const done: string[] = [];
      for (const target of targetsOf(tree, 'main')) done.push(await runPublishTarget(target, context));

      expect(done).toEqual([
        `rsync to ${path.join(root, 'mirror')}: snapshot 3, 2 files sent, 0 deleted`,
        `trigger ${url}: snapshot 3, answered 204 (signed)`,
      ]);
      expect(fs.readFileSync(path.join(root, 'mirror', 'dists', 'stable', 'Release'), 'utf8')).toBe('Suite: stable\n');
      expect(signatures).toEqual([expect.stringMatching(/^sha256=[0-9a-f]{64}$/)]);

      // A target given a branch it does not take is refused, not run: an rsync would delete the other branch's mirror.
      const err = await runPublishTarget(tree.publish.targets[0], { ...context, branch: 'dev' }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(PublishTargetError);
      expect((err as PublishTargetError).retryable).toBe(false);
      expect((err as Error).message).toMatch(/does not take branch dev \(it takes main\)/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('describeTarget never shows a URL\'s credentials or query', () => {
    expect(describeTarget({ kind: 'trigger', url: 'https://u:p@example.org/hook?token=t', branches: ['main'] })).toBe('trigger https://example.org/hook');
    expect(describeTarget({ kind: 'rsync', destination: 'mirror:/srv/apt', branches: ['main'] })).toBe('rsync to mirror:/srv/apt');
  });
});

describe('toApplicationFailure', () => {
  const details = { target: 'trigger https://example.org/hook', reason: 'remote', status: 503 } as const;

  it('a retryable target failure stays retryable, typed by its code, with its details', () => {
    const failure = toApplicationFailure(new PublishTargetError('PUBLISH_TARGET_FAILED', 'answered 503', { ...details, retryable: true }));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'PUBLISH_TARGET_FAILED', nonRetryable: false, message: 'answered 503' });
    expect((failure as ApplicationFailure).details).toEqual([{ ...details, retryable: true }]);
  });

  it('a permanent one is non-retryable', () => {
    const failure = toApplicationFailure(new PublishTargetError('PUBLISH_TARGET_FAILED', 'answered 404', { ...details, status: 404, retryable: false }));
    expect(failure).toMatchObject({ type: 'PUBLISH_TARGET_FAILED', nonRetryable: true });
  });

  it('anything else is left alone', () => {
    const other = new Error('boom');
    expect(toApplicationFailure(other)).toBe(other);
  });
});
