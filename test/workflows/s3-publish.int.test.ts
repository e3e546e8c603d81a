import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import type { SnapshotManifest } from '../../domain/publish/snapshot-manifest';
import { PublishTargetError, s3Target } from '../../activities/publish/targets';
import { Secret } from '../../domain/secret';
import { APT_TEST_KEYRING, aptInstall } from '../helpers/apt-client';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf } from '../helpers/push-result';
import { S3Server } from '../helpers/s3-server';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// The S3 publish target against a real S3 server (versitygw, built by setup): each publication goes into the bucket
// under the target's prefix, packages first, indexes next, the signed Release files last, and deletions only after
// the switch; the bucket holds exactly the current snapshot (not the branch's whole shared pool); a stock apt client
// installs from the bucket over plain HTTP (a public-read bucket, as one serving a repository is).
describe('publishing to an S3 bucket', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let layout: DataLayout;
  let kiln: RunningKiln;
  const s3 = new S3Server();
  const BUCKET = 'kiln-repo';
  const PREFIX = 'debian/stable/';

  beforeAll(async () => {
    t = await connectToTestServer();
    await s3.start();
    await s3.publicBucket(BUCKET);
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-s-tool', version: '1.0', architecture: 'any' });
    writeFixturePackage(repo.dir, { name: 'kiln-s-data', version: '1.0', architecture: 'all' });
    config = testConfig([{
      name: `s${Date.now()}`,
      url: repo.dir,
      architectures: ['amd64'],
      publish: `{ targets: [{ s3: { bucket: ${BUCKET}, prefix: ${PREFIX}, endpoint: "${s3.url}", accessKeyIdEnv: KILN_TEST_S3_ID, secretAccessKeyEnv: KILN_TEST_S3_SECRET } }] }`,
    }], { ...process.env, KILN_TEST_S3_ID: s3.accessKeyId, KILN_TEST_S3_SECRET: s3.secretAccessKey });
    layout = new DataLayout(config.dataDir);
    kiln = await runKiln(t, config);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    await s3.stop();
    repo?.cleanup();
  });

  const tree = () => config.trees[0].name;
  const bucketUrl = () => `${s3.url}/${BUCKET}/${PREFIX.replace(/\/$/, '')}`;
  const manifest = (n: number): SnapshotManifest =>
    JSON.parse(fs.readFileSync(path.join(layout.repo(tree(), 'main'), 'snapshots', String(n).padStart(6, '0'), 'kiln-manifest.json'), 'utf8'));

  async function pushAndWait(commit: string) {
    const { workflowId } = await requestPush(t.client, { tree: tree(), branch: 'main', commit }, 'test');
    return pushResultOf(t.client, workflowId, 240_000);
  }

  async function keyring(): Promise<Buffer> {
    const res = await fetch(`${bucketUrl()}/kiln-archive-keyring.gpg`);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  }

  /** The keys a snapshot should put in the bucket: its files outside the shared pool, and its own packages. */
  function expectedKeys(n: number): string[] {
    const dir = path.join(layout.repo(tree(), 'main'), 'snapshots', String(n).padStart(6, '0'));
    const keys: string[] = [];
    const walk = (rel: string) => {
      for (const entry of fs.readdirSync(path.join(dir, rel))) {
        const child = rel ? `${rel}/${entry}` : entry;
        if (!rel && entry === 'pool') continue;
        if (fs.statSync(path.join(dir, child)).isDirectory()) walk(child); else keys.push(`${PREFIX}${child}`);
      }
    };
    walk('');
    keys.push(...manifest(n).sources.flatMap((s) => s.artifacts.map((a) => `${PREFIX}${a.pool}`)));
    return keys.sort();
  }

  it('publishes into the bucket, in an order a reader can trust, and apt installs from it over HTTP', async () => {
    const result = await pushAndWait(repo.commit('two packages'));
    expect(result.status.publish).toMatchObject({ outcome: 'published', snapshot: 1 });
    expect(result.status.publish!.targets).toEqual([expect.objectContaining({ target: 0, ok: true })]);
    expect(await s3.keys(BUCKET)).toEqual(expectedKeys(1));

    // Every package before any index; InRelease the last object written.
    const puts = s3.requests().filter((r) => r.startsWith('PUT ') && r.includes(`/${BUCKET}/${PREFIX}`));
    const firstIndex = puts.findIndex((r) => r.includes('/dists/'));
    const lastPackage = puts.map((r) => r.includes('/pool/')).lastIndexOf(true);
    expect(lastPackage).toBeGreaterThanOrEqual(0);
    expect(lastPackage).toBeLessThan(firstIndex);
    expect(puts.at(-1)).toMatch(/\/dists\/main\/InRelease$/);

    const apt = await aptInstall({
      arch: 'amd64', keyring: await keyring(), sourcesLine: `deb [signed-by=${APT_TEST_KEYRING}] ${bucketUrl()} main main`,
      packages: ['kiln-s-tool', 'kiln-s-data'], extraCommands: ['cat /usr/share/kiln-s-tool/kiln-s-tool.txt'],
    });
    expect(apt.exitCode, apt.output).toBe(0);
    expect(apt.output).toContain('built kiln-s-tool 1.0');
  }, 300_000);

  it('a second publication sends only what changed and deletes, after the switch, what the snapshot no longer has', async () => {
    const before = s3.requests().length;
    const old = manifest(1).sources.find((s) => s.source === 'kiln-s-tool')!.artifacts[0].pool;
    writeFixturePackage(repo.dir, { name: 'kiln-s-tool', version: '1.1', architecture: 'any' });
    const result = await pushAndWait(repo.commit('kiln-s-tool 1.1'));
    expect(result.status.publish).toMatchObject({ outcome: 'published', snapshot: 2 });
    expect(result.status.publish!.targets[0]).toMatchObject({ ok: true });
    expect(result.status.publish!.targets[0].detail).toMatch(/, 3 deleted$/); // kiln-s-tool 1.0's package, .dsc and tarball

    const keys = await s3.keys(BUCKET);
    expect(keys).toEqual(expectedKeys(2));
    // The branch's shared pool still holds 1.0 (snapshot 1 is kept for rollbacks); the bucket mirrors only snapshot 2.
    expect(fs.existsSync(path.join(layout.repo(tree(), 'main'), 'pool', old.replace(/^pool\//, '')))).toBe(true);
    expect(keys).not.toContain(`${PREFIX}${old}`);

    const requests = s3.requests().slice(before);
    // kiln-s-data did not change: its package is not sent again.
    const data = manifest(2).sources.find((s) => s.source === 'kiln-s-data')!.artifacts[0].pool;
    expect(requests.filter((r) => r.startsWith('PUT ') && r.endsWith(data))).toEqual([]);
    const lastPut = requests.map((r) => r.startsWith('PUT ')).lastIndexOf(true);
    // DeleteObjects is a POST to the bucket (?delete: the log shows no query).
    const firstDelete = requests.findIndex((r) => new RegExp(`^POST /${BUCKET}/?$`).test(r));
    expect(requests[lastPut]).toMatch(/InRelease$/);
    expect(firstDelete).toBeGreaterThan(lastPut);

    const apt = await aptInstall({
      arch: 'amd64', keyring: await keyring(), sourcesLine: `deb [signed-by=${APT_TEST_KEYRING}] ${bucketUrl()} main main`,
      packages: ['kiln-s-tool'], extraCommands: ['cat /usr/share/kiln-s-tool/kiln-s-tool.txt'],
    });
    expect(apt.exitCode, apt.output).toBe(0);
    expect(apt.output).toContain('built kiln-s-tool 1.1');
  }, 300_000);

  it('says why a bucket refuses, and whether a retry can help', async () => {
    const snapshotDir = path.join(layout.repo(tree(), 'main'), 'current');
    const options = { layout: { marker: 'dists', indexes: ['/dists/***'] }, packageFiles: [], sharedPool: 'pool' };
    const base = { kind: 's3' as const, bucket: BUCKET, prefix: PREFIX, endpoint: s3.url, region: 'us-east-1', forcePathStyle: true, branches: ['main'] };
    const wrongKey = await s3Target({ ...base, credentials: { accessKeyId: new Secret(s3.accessKeyId), secretAccessKey: new Secret('not-the-key') } }, snapshotDir, options)
      .then(() => undefined, (e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(PublishTargetError);
    expect(wrongKey).toMatchObject({ retryable: false, details: { reason: 'destination', status: 403 } });
    expect((wrongKey as Error).message).toMatch(/^s3 to s3:\/\/kiln-repo\/debian\/stable\/: listing the bucket: SignatureDoesNotMatch \(403\)/);
    expect((wrongKey as Error).message).not.toContain(s3.secretAccessKey);

    const down = await s3Target({ ...base, endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: new Secret('a'), secretAccessKey: new Secret('b') } }, snapshotDir, options)
      .then(() => undefined, (e: unknown) => e);
    expect(down).toMatchObject({ retryable: true, details: { reason: 'network' } });
    // Nothing of the current repository changed.
    expect(await s3.keys(BUCKET)).toEqual(expectedKeys(2));
  }, 120_000);
});
