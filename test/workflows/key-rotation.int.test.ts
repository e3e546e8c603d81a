import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import { run as kilnCli } from '../../cli/run';
import type { KilnConfig } from '../../domain/config';
import { APT_REFUSAL, APT_TEST_KEYRING, aptUpdate } from '../helpers/apt-client';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf } from '../helpers/push-result';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// A rotation of the archive key with the running pipeline and stock apt: `kiln keys rotate` on the signer's host,
// then publishes during the overlap are signed by both keys, so an apt that trusts only the old key and one that
// trusts only the new key both keep updating; `kiln keys rotate --finish` retires the old key, after which only the
// new key's apt does.
describe('rotating the signing keys', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let kiln: RunningKiln;
  let configFile: string;
  let oldKeyring: Buffer;
  let newKeyring: Buffer;
  let newFingerprint = '';

  beforeAll(async () => {
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-r-tool', version: '1.0', architecture: 'all' });
    config = testConfig([{ name: `r${Date.now()}`, url: repo.dir, architectures: ['amd64'] }]);
    kiln = await runKiln(t, config);
    // The same server configuration as a file, for the CLI (its keys dir: `keys` beside it, as testConfig's).
    configFile = path.join(config.dataDir, 'kiln.yaml');
    fs.writeFileSync(configFile, [
      `dataDir: ${config.dataDir}`,
      'trees:',
      `  - { name: ${config.trees[0].name}, url: ${repo.dir}, format: deb, distribution: bookworm, branches: [main], architectures: [amd64] }`,
    ].join('\n') + '\n');
    expect(path.join(config.dataDir, 'keys')).toBe(config.signer.keysDir);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
  });

  const repoUrl = () => `${kiln.baseUrl}/repos/${config.trees[0].name}/main`;
  const sources = () => `deb [signed-by=${APT_TEST_KEYRING}] ${repoUrl()} main main`;

  async function publish(version: string, snapshot: number): Promise<void> {
    writeFixturePackage(repo.dir, { name: 'kiln-r-tool', version, architecture: 'all' });
    const { workflowId } = await requestPush(t.client, { tree: config.trees[0].name, branch: 'main', commit: repo.commit(`kiln-r-tool ${version}`) }, 'test');
    const result = await pushResultOf(t.client, workflowId, 240_000);
    expect(result.status.publish).toMatchObject({ outcome: 'published', snapshot });
  }

  async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await kilnCli(argv, {
      stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: (s: string) => { stderr += s; } },
      env: { ...process.env, KILN_CONFIG: configFile }, isTTY: false, columns: 80, rows: 24,
    });
    return { code, stdout, stderr };
  }

  const fingerprints = (keyring: Buffer) =>
    [...execFileSync('gpg', ['--homedir', path.join(config.dataDir, 'gpg-show'), '--with-colons', '--show-keys'], { input: keyring, encoding: 'utf8' })
      .matchAll(/^fpr:+([0-9A-F]{40}):/gm)].map((m) => m[1]);

  it('publishes with the first key; `kiln keys rotate` makes a second one', async () => {
    await publish('1.0', 1);
    oldKeyring = Buffer.from(await (await fetch(`${repoUrl()}/kiln-archive-keyring.gpg`)).arrayBuffer());
    fs.mkdirSync(path.join(config.dataDir, 'gpg-show'), { mode: 0o700 });
    expect(fingerprints(oldKeyring)).toHaveLength(1);

    const rotated = await cli('keys', 'rotate', '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const record = JSON.parse(rotated.stdout) as { openpgpFingerprint: string; overlapDays: number; retiresAt: string };
    expect(record.overlapDays).toBe(30);
    newFingerprint = record.openpgpFingerprint;
    newKeyring = fs.readFileSync(path.join(config.signer.keysDir, 'next', 'kiln-archive-keyring.gpg'));
    expect(fingerprints(newKeyring)).toEqual([newFingerprint]);
    // A second rotation waits for the first to end.
    const again = await cli('keys', 'rotate');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a key rotation is under way/);
  }, 300_000);

  it('during the overlap, apt trusting only the old key and apt trusting only the new key both update', async () => {
    await publish('1.1', 2);
    const published = Buffer.from(await (await fetch(`${repoUrl()}/kiln-archive-keyring.gpg`)).arrayBuffer());
    expect(fingerprints(published)).toEqual([...fingerprints(oldKeyring), newFingerprint]);
    for (const keyring of [oldKeyring, newKeyring]) {
      const apt = await aptUpdate({ arch: 'amd64', keyring, sourcesLine: sources(), extraCommands: ['apt-cache policy kiln-r-tool'] });
      expect(apt.exitCode, apt.output).toBe(0);
      expect(apt.output).toMatch(/Candidate: 1\.1/);
    }
  }, 300_000);

  it('after `kiln keys rotate --finish`, only the new key\'s apt updates', async () => {
    const finished = await cli('keys', 'rotate', '--finish');
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stdout).toMatch(/the old keys retired to .*\/keys\/retired\//);
    await publish('1.2', 3);
    const fresh = await aptUpdate({ arch: 'amd64', keyring: newKeyring, sourcesLine: sources(), extraCommands: ['apt-cache policy kiln-r-tool'] });
    expect(fresh.exitCode, fresh.output).toBe(0);
    expect(fresh.output).toMatch(/Candidate: 1\.2/);
    const stale = await aptUpdate({ arch: 'amd64', keyring: oldKeyring, sourcesLine: sources() });
    expect(stale.exitCode).not.toBe(0);
    expect(stale.output).toMatch(APT_REFUSAL);
  }, 300_000);
});
