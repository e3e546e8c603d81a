import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { freePort } from '../helpers/ports';

// The docker-compose deployment for real (npm run test:e2e; not part of npm test): the runtime image (built when
// missing), `docker-compose up` of docker-compose.yml in a project of its own with a temporary data dir, keys dir,
// cache dir, PostgreSQL password and worker token, and host ports of its own. It checks that the stack's Temporal is
// the real server on PostgreSQL (no dev server), that the schema and namespace jobs are idempotent, that the Temporal
// UI, the API and every worker are healthy, then pushes the example tree and expects it published for amd64, i386 and
// arm64 while PostgreSQL, Temporal, its UI, then each of Kiln's services (every build worker included) are restarted mid-push. `docker-compose down -v` at the end, whatever
// happened. Needs root, the Docker engine with the builder images, and docker-compose (npm run setup).

const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
const PROJECT = `kiln-e2e-${process.pid}`;
const ARCHES = ['amd64', 'i386', 'arm64'];
const LONG_RUNNING = ['postgres', 'temporal', 'temporal-ui', 'orchestrator', 'signer', 'api', ...ARCHES.map((a) => `build-${a}`)];
const JOBS = ['temporal-schema', 'temporal-namespace'];
const KILN_SIDE = ['postgres', 'temporal', 'temporal-ui', 'orchestrator', 'signer', 'api'];

interface Run { code: number; stdout: string; stderr: string }

/** Run a command; never throws on a non-zero exit (the caller looks at `code`). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

function must(result: Run, what: string): Run {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  return result;
}

let tmp: string;
let env: NodeJS.ProcessEnv;
let apiPort: number;
let uiPort: number;
let stackUp = false;

const compose = (args: string[], timeoutMs?: number) => run('docker-compose', ['-p', PROJECT, '-f', COMPOSE_FILE, ...args], env, timeoutMs);

async function containerOf(service: string): Promise<string> {
  const id = must(await compose(['ps', '-q', service]), `docker-compose ps -q ${service}`).stdout.trim();
  if (!id) throw new Error(`${service} has no container`);
  return id;
}

interface State { Status: string; ExitCode: number; Health?: { Status: string } }
async function stateOf(service: string): Promise<State> {
  const id = await containerOf(service);
  return JSON.parse(must(await run('docker', ['inspect', '-f', '{{json .State}}', id]), `docker inspect ${service}`).stdout) as State;
}

/** Long-running services healthy, jobs exited 0; else, at the deadline, what each is doing and its last log lines. */
async function waitReady(services: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let states: Record<string, string> = {};
  for (;;) {
    states = {};
    for (const service of services) {
      const state = await stateOf(service).catch((err: unknown) => ({ Status: `unknown (${String(err)})`, ExitCode: -1 }) as State);
      const ready = JOBS.includes(service) ? state.Status === 'exited' && state.ExitCode === 0 : state.Health?.Status === 'healthy';
      if (JOBS.includes(service) && state.Status === 'exited' && state.ExitCode !== 0) throw new Error(`${service} exited ${state.ExitCode}:\n${await logsOf(service)}`);
      if (!ready) states[service] = `${state.Status}${state.Health ? `/${state.Health.Status}` : ''}`;
    }
    if (Object.keys(states).length === 0) return;
    if (Date.now() > deadline) break;
    await delay(3_000);
  }
  const details = await Promise.all(Object.keys(states).map(async (s) => `--- ${s}: ${states[s]}\n${await logsOf(s)}`));
  throw new Error(`not ready after ${Math.round(timeoutMs / 1000)} s:\n${details.join('\n')}`);
}

async function logsOf(service: string): Promise<string> {
  const result = await compose(['logs', '--no-color', '--tail=25', service]);
  return `${result.stdout}${result.stderr}`.slice(-4000);
}

/** Stacks of earlier runs whose process is gone (killed before its afterAll): down -v, and their temp dirs removed. */
async function removeStaleStacks(): Promise<void> {
  const labels = must(await run('docker', ['ps', '-a', '--filter', 'label=com.docker.compose.project', '--format', '{{.Label "com.docker.compose.project"}}']), 'docker ps').stdout;
  for (const project of new Set(labels.split('\n').filter((p) => /^kiln-e2e-\d+$/.test(p)))) {
    const pid = Number(project.slice('kiln-e2e-'.length));
    if (pid === process.pid || fs.existsSync(`/proc/${pid}`)) continue;
    const down = await run('docker-compose', ['-p', project, '-f', COMPOSE_FILE, 'down', '-v', '--remove-orphans', '--timeout', '10']);
    if (down.code !== 0) throw new Error(`cannot remove the stale stack ${project}:\n${down.stderr}`);
  }
  for (const name of fs.readdirSync(os.tmpdir())) {
    const pid = /^kiln-compose-e2e-(\d+)-/.exec(name)?.[1];
    if (pid && Number(pid) !== process.pid && !fs.existsSync(`/proc/${pid}`)) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

/** The body of a GET on the host, with its status. */
async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, text: await response.text() };
}

/** SQL as PostgreSQL's superuser, through the socket inside the postgres container (peer login, no password). */
async function psql(db: string, sql: string): Promise<string> {
  return must(await compose(['exec', '-T', 'postgres', 'setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups',
    '/usr/lib/postgresql/15/bin/psql', '-h', '/run/postgresql', '-d', db, '-XtAq', '-v', 'ON_ERROR_STOP=1', '-c', sql]), `psql ${sql}`).stdout.trim();
}

describe('docker-compose deployment, end to end', () => {
  beforeAll(async () => {
    must(await run('docker-compose', ['version']), 'docker-compose version (npm run setup installs it)');
    must(await run('docker', ['info']), 'docker info (npm run setup starts the engine)');
    await removeStaleStacks();

    // The runtime image of this checkout, by its content tag (not :latest, which a running deployment may use).
    const tag = must(await run('bash', ['scripts/build-runtime-image.sh', '--print-tag']), 'build-runtime-image.sh --print-tag').stdout.trim();
    if ((await run('docker', ['image', 'inspect', tag])).code !== 0) {
      must(await run('bash', ['scripts/build-runtime-image.sh'], process.env, 900_000), 'build-runtime-image.sh');
    }

    tmp = fs.mkdtempSync(path.join(os.tmpdir(), `kiln-compose-e2e-${process.pid}-`));
    const dataDir = path.join(tmp, 'data');
    const keysDir = path.join(tmp, 'keys');
    const cacheDir = path.join(tmp, 'worker-cache');
    for (const dir of [dataDir, keysDir, cacheDir]) fs.mkdirSync(dir, { mode: 0o700 });
    [apiPort, uiPort] = [await freePort(), await freePort()];

    // deploy/kiln.compose.yaml with this run's data dir and host URLs.
    const config = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'kiln.compose.yaml'), 'utf8')) as { dataDir: string; api: { publicUrl: string }; temporal: { uiUrl: string } };
    config.dataDir = dataDir;
    config.api.publicUrl = `http://127.0.0.1:${apiPort}`;
    config.temporal.uiUrl = `http://127.0.0.1:${uiPort}`;
    fs.writeFileSync(path.join(tmp, 'kiln.yaml'), stringify(config));
    fs.writeFileSync(path.join(tmp, 'postgres.password'), `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });

    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KILN_RUNTIME_IMAGE: tag,
      KILN_DATA_DIR: dataDir,
      KILN_KEYS_DIR: keysDir,
      KILN_COMPOSE_CONFIG: path.join(tmp, 'kiln.yaml'),
      KILN_POSTGRES_PASSWORD_FILE: path.join(tmp, 'postgres.password'),
      KILN_WORKER_TOKEN_FILE: path.join(tmp, 'worker.token'),
      KILN_WORKER_CACHE_DIR: cacheDir,
      KILN_API_PORT: String(apiPort),
      KILN_TEMPORAL_UI_PORT: String(uiPort),
    };

    // The README's order: keys, the stack up to the orchestrator, the worker token, then everything.
    stackUp = true;
    must(await compose(['run', '--rm', '--no-deps', 'signer', 'kiln', 'keys', 'generate']), 'kiln keys generate');
    must(await compose(['up', '-d', 'orchestrator']), 'docker-compose up -d orchestrator');
    const token = must(await compose(['exec', '-T', 'orchestrator', 'kiln', 'tokens', 'create', '--worker', 'compose-builders']), 'kiln tokens create --worker');
    expect(token.stdout.trim()).toMatch(/^\S+$/); // the token alone on stdout (the note went to stderr)
    fs.writeFileSync(path.join(tmp, 'worker.token'), token.stdout, { mode: 0o600 });
    must(await compose(['up', '-d']), 'docker-compose up -d');
  }, 1_200_000);

  afterAll(async () => {
    if (stackUp) {
      const down = await compose(['down', '-v', '--remove-orphans', '--timeout', '30']);
      if (down.code !== 0) console.error(`docker-compose down -v failed:\n${down.stderr}`);
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 300_000);

  it('runs the real Temporal server on PostgreSQL 15, schema and namespace made, the UI and Kiln\'s services healthy', async () => {
    await waitReady([...KILN_SIDE, ...JOBS], 600_000);

    // The server itself says what it runs on.
    const cluster = JSON.parse(must(await compose(['exec', '-T', 'temporal', 'temporal', 'operator', 'cluster', 'describe',
      '--address', '127.0.0.1:7233', '-o', 'json']), 'cluster describe').stdout) as Record<string, unknown>;
    expect(cluster).toMatchObject({ serverVersion: '1.29.1', persistenceStore: 'postgres12', visibilityStore: 'postgres12' });
    const namespace = JSON.parse(must(await compose(['exec', '-T', 'temporal', 'temporal', 'operator', 'namespace', 'describe',
      '--address', '127.0.0.1:7233', '--namespace', 'default', '-o', 'json']), 'namespace describe').stdout) as { config: { workflowExecutionRetentionTtl: string } };
    expect(namespace.config.workflowExecutionRetentionTtl).toBe('2592000s'); // 30 days: retention.workflowDays

    // ...and PostgreSQL holds it: Temporal's tables with rows, both schemas at the newest version of the image's files.
    expect(await psql('postgres', 'SHOW server_version')).toMatch(/^15\./);
    expect((await psql('temporal', 'SELECT name FROM namespaces ORDER BY name')).split('\n')).toEqual(['default', 'temporal-system']);
    expect(Number(await psql('temporal', 'SELECT count(*) FROM cluster_metadata_info'))).toBe(1);
    expect(Number(await psql('temporal', 'SELECT count(*) FROM shards'))).toBe(4);
    expect(await psql('temporal', "SELECT curr_version FROM schema_version WHERE db_name = 'temporal'")).toMatch(/^1\.\d+$/);
    expect(await psql('temporal_visibility', "SELECT curr_version FROM schema_version WHERE db_name = 'temporal_visibility'")).toMatch(/^1\.\d+$/);

    // No dev server in any running container of the stack but the build workers (the next test's); the Temporal
    // server process in its own.
    for (const service of KILN_SIDE) {
      const top = must(await run('docker', ['top', await containerOf(service), '-eo', 'pid,args']), `docker top ${service}`).stdout;
      expect(top, service).not.toMatch(/start-dev/);
      if (service === 'temporal') expect(top).toMatch(/temporal-server --root \/ --config \/etc\/temporal\/config --env compose --allow-no-auth start/);
    }

    // Only the UI and the API are published, on loopback; 7233 nowhere.
    expect(must(await run('docker', ['port', await containerOf('temporal')]), 'docker port temporal').stdout.trim()).toBe('');
    expect(must(await run('docker', ['port', await containerOf('temporal-ui')]), 'docker port temporal-ui').stdout.trim()).toBe(`8233/tcp -> 127.0.0.1:${uiPort}`);

    // The UI server answers on its port and reads the real server.
    const ui = await get(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/<html/i);
    const uiNamespaces = await get(`http://127.0.0.1:${uiPort}/api/v1/namespaces`);
    expect(uiNamespaces.status).toBe(200);
    expect((JSON.parse(uiNamespaces.text) as { namespaces: Array<{ namespaceInfo: { name: string } }> }).namespaces.map((n) => n.namespaceInfo.name)).toContain('default');

    // Kiln's API answers on its port and reaches Temporal.
    const health = await get(`http://127.0.0.1:${apiPort}/healthz`);
    expect(health.status).toBe(200);
    expect((JSON.parse(health.text) as { checks: { temporal: { ok: boolean } } }).checks.temporal.ok).toBe(true);

    // The one-shot jobs again (as every `up` does): both succeed on what they made before.
    const schema = must(await compose(['run', '--rm', '--no-deps', 'temporal-schema']), 'temporal-schema again');
    expect(schema.stdout + schema.stderr).toMatch(/database temporal exists[\s\S]*database temporal_visibility exists/);
    const again = must(await compose(['run', '--rm', '--no-deps', 'temporal-namespace']), 'temporal-namespace again');
    expect(again.stdout + again.stderr).toMatch(/namespace default exists/);

    // The password is on no command line and in no log of the stack.
    const password = fs.readFileSync(path.join(tmp, 'postgres.password'), 'utf8').trim();
    const logs = await compose(['logs', '--no-color']);
    expect(logs.stdout + logs.stderr).not.toContain(password);
    for (const service of ['postgres', 'temporal']) {
      const inspect = must(await run('docker', ['inspect', await containerOf(service)]), `docker inspect ${service}`).stdout;
      expect(inspect, service).not.toContain(password);
      expect(must(await run('docker', ['top', await containerOf(service), '-eo', 'pid,args']), 'top').stdout, service).not.toContain(password);
    }
  }, 900_000);

  it('pushes the example tree and publishes it for amd64, i386 and arm64, through a restart of every service mid-push', async () => {
    await waitReady([...LONG_RUNNING], 300_000);
    // The operator's CLI runs on the host against the published API port: a `compose exec` into a service would die
    // with that service's restart below.
    const apiToken = must(await compose(['exec', '-T', 'orchestrator', 'kiln', 'tokens', 'create', 'e2e']), 'kiln tokens create').stdout.trim();
    expect(apiToken).toMatch(/^kiln_\S+$/);

    // Every build worker stays healthy all along, busy ones included (all slots taken: no poller in Temporal's list,
    // none at all right after Temporal's restart; the worker's status file says it is busy).
    const workerHealth: string[] = [];
    let pushing = true;
    const sampler = (async () => {
      while (pushing) {
        for (const arch of ARCHES) {
          const state = await stateOf(`build-${arch}`).catch(() => undefined);
          if (state?.Health?.Status === 'unhealthy') workerHealth.push(`build-${arch} unhealthy at ${new Date().toISOString()}:\n${await logsOf(`build-${arch}`)}`);
        }
        await delay(5_000);
      }
    })();
    let pushed: Run;
    try {
      const cliEnv = { PATH: process.env.PATH, HOME: tmp, KILN_CLI_CONFIG: path.join(tmp, 'cli.yaml'), KILN_API_URL: `http://127.0.0.1:${apiPort}`, KILN_API_TOKEN: apiToken };
      const push = run(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'kiln.js'), 'push', 'example', '--wait', '--json'], cliEnv, 3_600_000);
      // Mid-push: once it builds, restart the database, then the server, each back to healthy before the next.
      const deadline = Date.now() + 300_000;
      let state = '';
      while (!['building', 'testing', 'publishing', 'succeeded', 'failed'].includes(state)) {
        if (Date.now() > deadline) throw new Error(`the push did not start building in 5 min (state: ${state || 'none'})`);
        await delay(2_000);
        const pushes = await get(`http://127.0.0.1:${apiPort}/api/pushes?tree=example&branch=main`).catch(() => undefined);
        state = pushes?.status === 200 ? ((JSON.parse(pushes.text) as { pushes: Array<{ state: string }> }).pushes[0]?.state ?? '') : '';
      }
      expect(state).toBe('building'); // restarted while it builds, not after
      must(await compose(['restart', 'postgres']), 'restart postgres');
      await waitReady(['postgres', 'temporal'], 180_000);
      must(await compose(['restart', 'temporal']), 'restart temporal');
      await waitReady(['temporal'], 180_000);
      // ...then the Web UI, and each of Kiln's own: the orchestrator, the API (the build workers' exchange), the
      // signer, and every build worker, with builds in flight (a worker's SIGTERM kills their containers; Temporal
      // retries them on the new worker).
      for (const service of ['temporal-ui', 'orchestrator', 'api', 'signer', 'build-amd64', 'build-i386', 'build-arm64']) {
        must(await compose(['restart', service]), `restart ${service}`);
        await waitReady([service], 180_000);
      }

      pushed = await push;
    } finally {
      pushing = false;
      await sampler;
    }
    if (pushed && pushed.code !== 0) {
      // Before `down -v` takes the stack's logs: what failed, with the last lines of each failed build's log.
      const failed: string[] = [];
      const status = await fetch(`http://127.0.0.1:${apiPort}/api/pushes?tree=example&branch=main`, { headers: { authorization: `Bearer ${apiToken}` } })
        .then((r) => r.json() as Promise<{ pushes: Array<{ url: string }> }>).catch(() => undefined);
      const url = status?.pushes[0]?.url;
      const push = url && await fetch(`http://127.0.0.1:${apiPort}${url}`, { headers: { authorization: `Bearer ${apiToken}` } })
        .then((r) => r.json() as Promise<{ builds: Array<{ id: string; state: string; logUrl?: string; installTest?: { state: string } }> }>).catch(() => undefined);
      for (const b of push ? push.builds : []) {
        if (b.state === 'succeeded' && b.installTest?.state !== 'failed') continue;
        const log = b.logUrl ? await fetch(`http://127.0.0.1:${apiPort}${b.logUrl}`, { headers: { authorization: `Bearer ${apiToken}` } }).then((r) => r.text()).catch((e: unknown) => String(e)) : '';
        // From the install test's start (its first failing step is far from the log's end), at most 250 lines.
        const lines = log.split('\n');
        const starts = lines.map((l, i) => (l.includes('===== kiln: install test of') ? i : -1)).filter((i) => i >= 0);
        const from = b.installTest?.state === 'failed' && starts.length > 0 ? starts[starts.length - 1] : -1;
        failed.push(`--- ${b.id}: ${b.state}, install test ${b.installTest?.state ?? 'none'}\n${(from >= 0 ? lines.slice(from) : lines.slice(-40)).slice(0, 250).join('\n')}`);
      }
      throw new Error(`kiln push example --wait exited ${pushed.code}:\n${pushed.stdout.slice(-3000)}\n${failed.join('\n')}`);
    }
    const result = must(pushed, 'kiln push example --wait');
    expect(workerHealth).toEqual([]);
    const decided = JSON.parse(result.stdout) as { state: string; workflowId: string; arches: Array<{ arch: string; state: string }>; builds: Array<{ arch: string; state: string }> };
    expect(decided.state).toBe('succeeded');
    expect(decided.arches.map((a) => [a.arch, a.state]).sort()).toEqual(ARCHES.map((a) => [a, 'succeeded']).sort());
    expect(decided.builds.every((b) => b.state === 'succeeded')).toBe(true);

    // Published: each arch's index lists packages of that arch, served by the API.
    for (const arch of ARCHES) {
      const packages = await get(`http://127.0.0.1:${apiPort}/repos/example/main/dists/main/main/binary-${arch}/Packages`);
      expect(packages.status, arch).toBe(200);
      expect(packages.text, arch).toMatch(new RegExp(`^Architecture: ${arch}$`, 'm'));
      expect(packages.text, arch).toMatch(/^Package: kiln-hello$/m);
    }
    // The workflow history is in PostgreSQL (not a dev server's SQLite file).
    expect(Number(await psql('temporal', 'SELECT count(*) FROM history_node'))).toBeGreaterThan(0);
  }, 3_600_000);
});
