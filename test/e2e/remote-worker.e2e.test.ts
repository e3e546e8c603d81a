import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createToken, tokenFile } from '../../api/auth/token-file';
import { requestPush } from '../../api/intake/request-push';
import type { KilnConfig } from '../../domain/config';
import { DataLayout } from '../../domain/data-layout';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { requireCompiledWorkers } from '../helpers/kiln-processes';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf, pushStatusText } from '../helpers/push-result';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';
import { WatchedProcess } from '../helpers/watched-process';

// A build worker as on another machine: its own process in its own mount namespace, where the orchestrator's data dir
// is an empty tmpfs. It has Temporal's address, the API's URL and a worker token file, nothing else. Its first upload
// of a build result is cut in the middle by killing it; the build is retried on a second such worker, and the push
// (two packages, one built against the other through the WIP repository) publishes with nothing stored twice or half.
describe('a build worker that shares no disk with the orchestrator', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let kiln: RunningKiln;
  let proxy: http.Server;
  let proxyUrl = '';
  let secrets: string;
  const workers: WatchedProcess[] = [];
  const uploads = new Map<string, number>();
  let cut: string | undefined;

  /** The worker's command, in a mount namespace of its own with the data dir hidden (and checked to be). */
  function startRemoteWorker(n: number): WatchedProcess {
    const script = [
      'set -e',
      'mount -t tmpfs -o size=1m kiln-hidden "$KILN_HIDDEN"',
      '[ ! -e "$KILN_HIDDEN/api-tokens.json" ] && [ ! -e "$KILN_HIDDEN/store" ]',
      'echo "remote worker: the orchestrator\'s data dir is not visible here"',
      'exec "$@"',
    ].join('\n');
    const worker = new WatchedProcess(`remote-build#${n}`, 'unshare', [
      '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh',
      process.execPath, path.join(PROJECT_ROOT, 'dist', 'workers', 'build.js'), '--arch', 'amd64',
      '--temporal', inject('temporalAddress'), '--api', proxyUrl, '--token-file', path.join(secrets, 'worker.token'),
      '--cache-dir', path.join(secrets, `cache-${n}`),
    ], { env: { ...process.env, KILN_HIDDEN: config.dataDir, KILN_CONFIG: '' } });
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    requireCompiledWorkers();
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-r-lib', version: '1.0', architecture: 'any' });
    writeFixturePackage(repo.dir, { name: 'kiln-r-app', version: '1.0', architecture: 'any', buildDepends: ['kiln-r-lib'],
      buildScript: 'test -f /usr/share/kiln-r-lib/kiln-r-lib.txt' });
    repo.commit('a library and its user');
    config = testConfig([{ name: `r${Date.now()}`, url: repo.dir, architectures: ['amd64'] }]);
    kiln = await runKiln(t, config, { buildWorkers: false });

    // Between the remote worker and the API: counts uploads, and cuts the first upload of a build result.
    const api = new URL(kiln.baseUrl);
    proxy = http.createServer((req, res) => {
      const upload = req.method === 'PUT' ? /^\/api\/blobs\/sha256\/([0-9a-f]{64})$/.exec(req.url ?? '')?.[1] : undefined;
      if (upload) uploads.set(upload, (uploads.get(upload) ?? 0) + 1);
      const upstream = http.request({ host: api.hostname, port: api.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      if (upload && !cut && Number(req.headers['content-length']) > 512) {
        cut = upload;
        req.once('data', (chunk: Buffer) => {
          // Half the bytes reach the API, then the worker dies mid-upload.
          upstream.write(chunk.subarray(0, Math.floor(chunk.length / 2)));
          setTimeout(() => {
            void workers[0].kill('SIGKILL');
            upstream.destroy();
            res.destroy();
          }, 200);
        });
        return;
      }
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-remote-worker-'));
    const { token } = await createToken(tokenFile(config.dataDir), 'remote-builders', new Date(), 'worker');
    fs.writeFileSync(path.join(secrets, 'worker.token'), `${token}\n`, { mode: 0o600 });
  });

  afterAll(async () => {
    for (const w of workers) await w.kill('SIGTERM', 15_000);
    await new Promise<void>((resolve) => proxy?.close(() => resolve()));
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
    if (secrets) fs.rmSync(secrets, { recursive: true, force: true });
  });

  it('builds a push through the API only; a worker killed mid-upload is replaced and nothing is stored twice or half', async () => {
    const first = startRemoteWorker(1);
    await first.waitFor(/the orchestrator's data dir is not visible here/, 30_000);
    await first.waitFor(/kiln build worker: arch amd64, task queue build-amd64/, 120_000);

    const { workflowId } = await requestPush(t.client, { tree: config.trees[0].name, branch: 'main', commit: repo.git('rev-parse', 'HEAD') }, 'test');
    // The first worker dies in its first result upload: a second one takes the retried build over.
    const deadline = Date.now() + 240_000;
    while (!cut && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(cut, first.tail()).toBeDefined();
    expect((await first.exited).signal).toBe('SIGKILL');
    const second = startRemoteWorker(2);
    await second.waitFor(/kiln build worker: arch amd64, task queue build-amd64/, 120_000);

    const result = await pushResultOf(t.client, workflowId, 400_000);
    expect(result.outcome, await pushStatusText(t.client, workflowId)).toBe('succeeded');
    expect(result.status.publish?.outcome).toBe('published');

    // The dependent was built against the library from the push's WIP repository, fetched by digest.
    const layout = new DataLayout(config.dataDir);
    const appLog = fs.readFileSync(layout.buildLog(result.status.push, 'kiln-r-app', 'amd64'), 'utf8');
    expect(appLog).toMatch(/Unpacking kiln-r-lib \(1\.0\)/);
    expect(appLog).toMatch(/build worker \S+/);

    // The killed worker's build ran again on the second worker, which uploaded it whole.
    expect(second.output()).toMatch(/"msg":"build finished"/);
    // Nothing half-written is left in the store: the cut upload is there only if the rebuilt package was
    // byte-identical and sent again (then once, whole), and every blob holds the bytes of its name.
    const names = fs.readdirSync(layout.store);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(names.filter((n) => n.startsWith(cut!))).toEqual((uploads.get(cut!) ?? 0) >= 2 ? [cut] : []);
    for (const name of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
      expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(layout.store, name))).digest('hex')).toBe(name);
    }
    for (const artifact of result.status.builds.flatMap((b) => b.artifacts ?? [])) expect(names).toContain(artifact.sha256);
  }, 600_000);
});
