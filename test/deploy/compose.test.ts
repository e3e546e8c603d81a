import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../domain/config';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { buildTaskQueue, ORCHESTRATOR_TASK_QUEUE, SIGN_TASK_QUEUE } from '../../domain/task-queues';

// The docker-compose deployment (docker-compose.yml, deploy/kiln.compose.yaml, deploy/temporal/*.yaml and the
// runtime image's kiln-temporal), checked as files: what each container runs, mounts and is told. Running it for real:
// test/e2e/compose.e2e.test.ts (npm run test:e2e).

interface Service {
  image?: string;
  command?: string | string[];
  volumes?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  pid?: string;
  hostname?: string;
  restart?: string;
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  networks?: string[];
  network_mode?: string;
}

const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
const CONFIG_IN_CONTAINER = '/etc/kiln/kiln.yaml';
const DOCKER_SOCKET = '/var/run/docker.sock';
const PASSWORD_IN_CONTAINER = '/run/kiln/postgres.password';
const TOKEN_IN_CONTAINER = '/run/kiln/worker.token';
const TEMPORAL_SIDE = ['postgres', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui'];
const JOBS = ['temporal-schema', 'temporal-namespace'];

const composeText = fs.readFileSync(COMPOSE_FILE, 'utf8');
const compose = parse(composeText, { merge: true }) as {
  version: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { driver?: string; external?: unknown; name?: string; internal?: boolean } | null>;
};
const services = compose.services;
const nodeServices = Object.entries(services).filter(([, s]) => Array.isArray(s.command) && s.command[0] === 'node');
const buildServices = Object.entries(services).filter(([n]) => n.startsWith('build-'));
const configServices = nodeServices.filter(([n]) => !n.startsWith('build-'));
const kilnTemporal = fs.readFileSync(path.join(PROJECT_ROOT, 'images', 'runtime', 'kiln-temporal'), 'utf8');

/** What docker-compose makes of `${VAR:-default}` with nothing set. */
function withDefaults(text: string): string {
  return text.replace(/\$\{(\w+):-([^}]*)\}/g, (_m, _name: string, fallback: string) => fallback);
}

interface Mount { source: string; target: string; mode: string }
function mounts(service: Service): Mount[] {
  return (service.volumes ?? []).map((spec) => {
    // Split on the colons outside `${VAR:-default}`, keeping host and container path as written.
    const parts = spec.split(/:(?![^{]*\})/);
    return { source: parts[0], target: parts[1], mode: parts[2] ?? 'rw' };
  });
}

/** The lines of one `kiln-temporal <subcommand>)` branch of the case statement. */
function kilnTemporalBranch(name: string): string {
  const match = new RegExp(`\\n  ${name}\\)\\n([\\s\\S]*?)\\n    ;;`).exec(kilnTemporal);
  expect(match, `kiln-temporal ${name}`).not.toBeNull();
  return match![1];
}

interface ServerConfig {
  persistence: { defaultStore: string; visibilityStore: string; datastores: Record<string, { sql: Record<string, string> }> };
  services: Record<string, { rpc: Record<string, unknown> }>;
}

/** The Temporal server's config, which it renders as a template first: each {{ ... }} read as a string. */
function serverConfig(file: string): { text: string; doc: ServerConfig } {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  return { text, doc: parse(text.replace(/\{\{(.*?)\}\}/g, (_m, inner: string) => JSON.stringify(`{{${inner}}}`))) as ServerConfig };
}

// The config every Kiln container but the build workers is given, as the compose file names it by default.
const configMounts = configServices.map(([, s]) => mounts(s).find((m) => m.target === CONFIG_IN_CONTAINER));
const configHostFile = path.resolve(PROJECT_ROOT, withDefaults(configMounts[0]?.source ?? ''));
const config = loadConfig(configHostFile, {});
const arches = [...new Set(config.trees.flatMap((t) => t.architectures))];

describe('docker-compose.yml', () => {
  it('runs the Temporal side (PostgreSQL, schema job, server, namespace job, UI) and every process of Kiln, a build worker per configured arch', () => {
    expect(Object.keys(services).sort()).toEqual([...TEMPORAL_SIDE, 'api', 'orchestrator', 'signer', ...arches.map((a) => `build-${a}`)].sort());
    // The example tree, the config's only tree, builds all three Debian arches.
    expect(config.trees.find((t) => t.name === 'example')?.architectures).toEqual(['amd64', 'i386', 'arm64']);
    for (const arch of arches) {
      const command = services[`build-${arch}`].command as string[];
      expect(command.slice(0, 2)).toEqual(['node', 'dist/workers/build.js']);
      expect(command[command.indexOf('--arch') + 1]).toBe(arch);
    }
  });

  it('runs the real Temporal server on PostgreSQL, and no dev server anywhere', () => {
    for (const [name, service] of Object.entries(services)) {
      const command = ([] as string[]).concat(service.command ?? []).join(' ');
      expect(command, name).not.toMatch(/start-dev|(^|\s)temporal server/); // the CLI's dev server
      expect(JSON.stringify(service.healthcheck ?? {}), name).not.toMatch(/start-dev/);
    }
    expect(composeText).not.toMatch(/^[^#]*start-dev/m); // not even in a value this test does not look at
    expect(services.temporal.command).toEqual(['kiln-temporal', 'server']);
    const server = kilnTemporalBranch('server');
    expect(server).toMatch(/exec temporal-server --root \/ --config \/etc\/temporal\/config --env compose --allow-no-auth start/);
    expect(kilnTemporal).not.toMatch(/start-dev/);
    // Its config: both stores on the compose PostgreSQL, with the postgres12 plugin.
    const mountedConfig = mounts(services.temporal).find((m) => m.target === '/etc/temporal/config/compose.yaml');
    expect(mountedConfig && { ...mountedConfig, source: withDefaults(mountedConfig.source) }).toEqual({ source: './deploy/temporal/server.yaml', target: '/etc/temporal/config/compose.yaml', mode: 'ro' });
    const { text, doc } = serverConfig('deploy/temporal/server.yaml');
    expect(text.split('\n')[0]).toMatch(/^# enable-template/);
    const stores = doc.persistence.datastores;
    expect(Object.keys(stores).sort()).toEqual([doc.persistence.defaultStore, doc.persistence.visibilityStore].sort());
    expect(Object.values(stores).map((s) => s.sql.databaseName).sort()).toEqual(['temporal', 'temporal_visibility']);
    for (const { sql } of Object.values(stores)) {
      expect(sql.pluginName).toBe('postgres12');
      expect(sql.connectAddr).toBe('postgres:5432');
      expect(sql.password).toBe('{{ env "KILN_POSTGRES_PASSWORD" | quote }}'); // from the environment, never a literal
    }
    // The frontend listens for the other containers; the internal services on loopback only.
    expect(doc.services.frontend.rpc).toMatchObject({ grpcPort: 7233, bindOnIP: '0.0.0.0' });
    for (const internal of ['history', 'matching', 'worker']) expect(doc.services[internal].rpc.bindOnLocalHost, internal).toBe(true);
  });

  it('keeps PostgreSQL in its own volume, the password in a read-only file, and the database on a network of its own', () => {
    expect(services.postgres.command).toEqual(['kiln-temporal', 'postgres']);
    expect(mounts(services.postgres)).toContainEqual({ source: 'temporal-postgres', target: '/var/lib/postgresql/data', mode: 'rw' });
    expect(Object.keys(compose.volumes ?? {})).toEqual(['temporal-postgres']);
    for (const [name, service] of Object.entries(services)) {
      const password = mounts(service).filter((m) => /password/i.test(m.source) || /password/i.test(m.target));
      if (['postgres', 'temporal-schema', 'temporal'].includes(name)) {
        expect(password.map((m) => ({ ...m, source: withDefaults(m.source) })), name)
          .toEqual([{ source: '/etc/kiln/postgres.password', target: PASSWORD_IN_CONTAINER, mode: 'ro' }]);
      } else {
        expect(password, name).toEqual([]);
      }
      // Never in the environment or on a command line.
      expect(JSON.stringify(service.environment ?? {}), name).not.toMatch(/pass|pw/i);
      expect(([] as string[]).concat(service.command ?? []).join(' '), name).not.toMatch(/--pw|password/i);
    }
    expect(kilnTemporal).not.toMatch(/--pw\b|--password\b/); // temporal-sql-tool reads SQL_PASSWORD, psql PGPASSWORD
    expect(kilnTemporal).toMatch(/export SQL_PASSWORD=\$password PGPASSWORD=\$password/);
    // Only the schema job and the server reach the database, on an internal network.
    expect(services.postgres.networks).toEqual(['temporal-db']);
    expect(services['temporal-schema'].networks).toEqual(['temporal-db']);
    expect(services.temporal.networks!.sort()).toEqual(['kiln', 'temporal-db']);
    for (const [name, service] of Object.entries(services)) {
      if (!['postgres', 'temporal-schema', 'temporal'].includes(name)) expect(service.networks, name).not.toContain('temporal-db');
    }
    expect(compose.networks!['temporal-db']).toEqual({ driver: 'bridge', internal: true });
  });

  it('creates and upgrades both databases in a one-shot schema job the server waits for', () => {
    const job = services['temporal-schema'];
    expect(job.command).toEqual(['kiln-temporal', 'schema']);
    expect(job.restart).toBe('no');
    expect(job.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services.temporal.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    const schema = kilnTemporalBranch('schema');
    expect(schema).toMatch(/for pair in temporal:temporal temporal_visibility:visibility; do/);
    expect(schema).toMatch(/--db "\$db" create-database/);
    expect(schema).toMatch(/--db "\$db" setup-schema -v 0\.0/);
    expect(schema).toMatch(/--db "\$db" update-schema -d "\$dir"/);
    expect(kilnTemporal).toMatch(/temporal-sql-tool --plugin postgres12 /);
    // Idempotent: create-database only when the database is missing (it fails on an existing one).
    expect(schema.indexOf('pg_database WHERE datname')).toBeLessThan(schema.indexOf('create-database'));
    // The schema files it reads are the server module's, in the image.
    for (const dir of ['temporal', 'visibility']) {
      expect(fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'build-runtime-image.sh'), 'utf8')).toContain(`$schema_src/${dir}/versioned`);
    }
  });

  it('creates the config\'s namespace with a retention in a one-shot job every Kiln service waits for', () => {
    const job = services['temporal-namespace'];
    // The same retention the orchestrator sets at start (retention.workflowDays): the two never fight.
    expect(job.command).toEqual(['kiln-temporal', 'namespace', config.temporal.namespace, `${config.retention.workflowDays * 24}h`]);
    expect(job.restart).toBe('no');
    expect(job.depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(job.environment?.KILN_TEMPORAL_ADDRESS).toBe(config.temporal.address);
    const namespace = kilnTemporalBranch('namespace');
    expect(namespace).toMatch(/temporal operator namespace create --namespace "\$namespace" --retention "\$retention"/);
    expect(namespace).toMatch(/temporal operator namespace describe/); // an existing namespace is fine
    for (const [name, service] of nodeServices) {
      expect(service.depends_on?.temporal, name).toEqual({ condition: 'service_healthy' });
      expect(service.depends_on?.['temporal-namespace'], name).toEqual({ condition: 'service_completed_successfully' });
    }
  });

  it('serves the Temporal UI from the ui-server, published on loopback, pointed at the compose frontend', () => {
    const ui = services['temporal-ui'];
    expect(ui.command).toEqual(['kiln-temporal', 'ui']);
    expect(kilnTemporalBranch('ui')).toMatch(/exec temporal-ui-server --root \/ --config \/etc\/temporal-ui\/config --env compose start/);
    expect(ui.ports).toEqual(['${KILN_TEMPORAL_UI_BIND:-127.0.0.1}:${KILN_TEMPORAL_UI_PORT:-8233}:8233']);
    expect(mounts(ui).map((m) => ({ ...m, source: withDefaults(m.source) }))).toEqual([{ source: './deploy/temporal/ui.yaml', target: '/etc/temporal-ui/config/compose.yaml', mode: 'ro' }]);
    const uiConfig = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'temporal', 'ui.yaml'), 'utf8')) as Record<string, unknown>;
    expect(uiConfig).toMatchObject({ temporalGrpcAddress: config.temporal.address, host: '0.0.0.0', port: 8233, enableUi: true, defaultNamespace: config.temporal.namespace });
    expect(ui.healthcheck?.test).toEqual(['CMD', 'kiln-healthcheck', 'http', 'http://127.0.0.1:8233/healthz']);
    expect(config.temporal.uiUrl).toBe('http://127.0.0.1:8233');
  });

  it('puts every binary the Temporal side runs, and PostgreSQL 15, into the runtime image', () => {
    const recipe = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'build-runtime-image.sh'), 'utf8');
    for (const bin of ['temporal', 'temporal-server', 'temporal-sql-tool', 'temporal-ui-server', 'kiln-temporal', 'kiln-healthcheck']) {
      expect(recipe, bin).toMatch(new RegExp(`install -m 0755 \\S+ "\\$rootfs/usr/local/bin/${bin}"`));
    }
    const packages = fs.readFileSync(path.join(PROJECT_ROOT, 'images', 'runtime', 'packages.txt'), 'utf8').split('\n').map((l) => l.trim());
    expect(packages).toContain('postgresql-15');
    // The content hash covers the new inputs, so a changed binary or schema file makes a new tag.
    expect(recipe).toMatch(/sha256sum "\$node_bin" "\$temporal_bin" "\$temporal_server_bin" "\$temporal_sql_tool_bin" "\$temporal_ui_server_bin"/);
    expect(recipe).toMatch(/\(cd "\$schema_src" && find \. -type f -print0 \| sort -z \| xargs -0 sha256sum\)/);
  });

  it('starts each node service from a compiled entry whose source is in workers/ or api/', () => {
    expect(nodeServices.map(([n]) => n).sort()).toEqual(Object.keys(services).filter((n) => !TEMPORAL_SIDE.includes(n)).sort());
    for (const [name, service] of nodeServices) {
      const entry = (service.command as string[])[1];
      const match = /^dist\/((workers|api)\/[\w-]+)\.js$/.exec(entry);
      expect(match, `${name}: ${entry}`).not.toBeNull();
      expect(fs.existsSync(path.join(PROJECT_ROOT, `${match![1]}.ts`)), `${name}: ${match![1]}.ts`).toBe(true);
    }
  });

  it('gives every Kiln service but the build workers the same config file, read-only, by --config and KILN_CONFIG', () => {
    expect(configServices.map(([n]) => n).sort()).toEqual(['api', 'orchestrator', 'signer']);
    for (const [name, service] of configServices) {
      const command = service.command as string[];
      expect(command[command.indexOf('--config') + 1], name).toBe(CONFIG_IN_CONTAINER);
      expect(service.environment?.KILN_CONFIG, name).toBe(CONFIG_IN_CONTAINER);
    }
    expect(configMounts.every((m) => m !== undefined)).toBe(true);
    expect(new Set(configMounts.map((m) => m!.source)).size).toBe(1);
    expect(configMounts.every((m) => m!.mode === 'ro')).toBe(true);
    expect(configHostFile).toBe(path.join(PROJECT_ROOT, 'deploy', 'kiln.compose.yaml'));
  });

  it('runs each build worker on the HTTP exchange contract: no config, no data dir, a read-only token file, a cache dir at the host\'s path', () => {
    expect(buildServices.length).toBe(arches.length);
    for (const [name, service] of buildServices) {
      const arch = name.slice('build-'.length);
      const cache = `\${KILN_WORKER_CACHE_DIR:-/var/cache/kiln-worker}/${arch}`;
      expect(service.command, name).toEqual([
        'node', 'dist/workers/build.js', '--arch', arch, '--temporal', config.temporal.address, '--namespace', config.temporal.namespace,
        '--api', 'http://api:8080', '--token-file', TOKEN_IN_CONTAINER, '--cache-dir', cache,
      ]);
      expect(service.environment?.KILN_CONFIG, name).toBeUndefined();
      expect(mounts(service).sort((a, b) => a.target.localeCompare(b.target)), name).toEqual([
        { source: DOCKER_SOCKET, target: DOCKER_SOCKET, mode: 'rw' },
        { source: '${KILN_WORKER_TOKEN_FILE:-/etc/kiln/worker.token}', target: TOKEN_IN_CONTAINER, mode: 'ro' },
        { source: cache, target: cache, mode: 'rw' }, // the same path inside and out, as written, so after interpolation
      ].sort((a, b) => a.target.localeCompare(b.target)));
      // Nothing of the data dir (the config's dataDir, or KILN_DATA_DIR whatever it is set to).
      for (const m of mounts(service)) {
        expect(m.source, name).not.toMatch(/KILN_DATA_DIR/);
        expect(withDefaults(m.source).startsWith(config.dataDir), name).toBe(false);
        expect(withDefaults(m.target).startsWith(config.dataDir), name).toBe(false);
      }
      expect(service.depends_on?.api, name).toEqual({ condition: 'service_healthy' });
    }
    // The one command that makes the token, in the file's own instructions.
    expect(composeText).toContain('docker-compose exec -T orchestrator kiln tokens create --worker compose-builders > /etc/kiln/worker.token');
  });

  it('mounts the signing keys into the signer only, at the config\'s signer.keysDir', () => {
    for (const [name, service] of Object.entries(services)) {
      const keyMounts = mounts(service).filter((m) => m.target === config.signer.keysDir || /key/i.test(m.source));
      expect(keyMounts.length, name).toBe(name === 'signer' ? 1 : 0);
    }
    // Not the data dir either: the signer needs only Temporal and its keys.
    expect(mounts(services.signer).map((m) => m.target)).toEqual([CONFIG_IN_CONTAINER, config.signer.keysDir]);
  });

  it('mounts the Docker socket into the build workers only', () => {
    for (const [name, service] of Object.entries(services)) {
      const socket = mounts(service).some((m) => m.source === DOCKER_SOCKET || m.target === DOCKER_SOCKET);
      expect(socket, name).toBe(name.startsWith('build-'));
    }
  });

  it('mounts the data dir into the orchestrator (rw) and the API (ro, but store/, logs/ and webhooks/), at the same path, and nowhere else', () => {
    const dataMounts = (name: string) => mounts(services[name]).filter((m) => withDefaults(m.source).startsWith(config.dataDir));
    for (const name of Object.keys(services)) {
      const found = dataMounts(name);
      for (const m of found) expect(m.source, name).toBe(m.target); // identical as written, so also after interpolation
      if (name === 'orchestrator') {
        expect(found.map((m) => [withDefaults(m.source), m.mode]), name).toEqual([[config.dataDir, 'rw']]);
      } else if (name === 'api') {
        // The API writes the blobs and logs build workers send, and the webhook delivery IDs it has acted on.
        expect(found.map((m) => [withDefaults(m.source), m.mode]), name).toEqual([
          [config.dataDir, 'ro'],
          [`${config.dataDir}/store`, 'rw'],
          [`${config.dataDir}/logs`, 'rw'],
          [`${config.dataDir}/webhooks`, 'rw'],
        ]);
      } else {
        expect(found, name).toEqual([]);
      }
    }
  });

  it('points the config at the compose Temporal server, run by compose rather than by Kiln', () => {
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.temporal.embedded).toBe(false);
    expect(config.api.host).toBe('0.0.0.0');
    expect(withDefaults(services.api.ports![0])).toBe(`127.0.0.1:8080:${config.api.port}`);
  });

  it('serves the example tree from a git repository the image carries, not a plain directory the read-only API would import', () => {
    // A push of a plain-directory tree imports it into <dataDir>/git, in the process asking for the head: the API.
    const example = config.trees.find((t) => t.name === 'example')!;
    expect(example.url).toBe('/opt/kiln/examples/ports.git');
    const recipe = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'build-runtime-image.sh'), 'utf8');
    expect(recipe).toContain('git init --quiet --bare --initial-branch=main "$app/examples/ports.git"');
    expect(recipe).toContain('GIT_WORK_TREE="$root/examples/ports"');
    expect(example.branches).toEqual(['main']);
  });

  it('restarts the long-running services, runs the jobs once, and checks each worker polls its own task queue', () => {
    const queues: Record<string, string[]> = {
      orchestrator: [ORCHESTRATOR_TASK_QUEUE, 'workflow'],
      signer: [SIGN_TASK_QUEUE, 'activity'],
    };
    for (const [name, service] of buildServices) {
      // ...and the status file the worker keeps in its cache dir (a worker with every slot busy polls nothing).
      const arch = name.slice('build-'.length);
      queues[name] = [buildTaskQueue(arch), 'activity', '--temporal', config.temporal.address, '--namespace', config.temporal.namespace,
        '--status-file', `\${KILN_WORKER_CACHE_DIR:-/var/cache/kiln-worker}/${arch}/worker-status.json`];
      expect(service.command, name).toContain(`\${KILN_WORKER_CACHE_DIR:-/var/cache/kiln-worker}/${arch}`);
    }
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, name).toBe('${KILN_RUNTIME_IMAGE:-kiln-runtime:latest}');
      if (JOBS.includes(name)) {
        expect(service.restart, name).toBe('no');
        expect(service.healthcheck, name).toBeUndefined(); // a job is done when it exits 0 (service_completed_successfully)
      } else {
        expect(service.restart, name).toBe('unless-stopped');
        expect(service.healthcheck?.test?.[0], name).toBe('CMD');
      }
      if (queues[name]) expect(service.healthcheck!.test!.slice(1), name).toEqual(['kiln-healthcheck', 'poller', ...queues[name]]);
    }
    expect(services.temporal.healthcheck?.test).toEqual(['CMD', 'temporal', 'operator', 'cluster', 'health', '--address', '127.0.0.1:7233']);
    expect(services.postgres.healthcheck?.test).toEqual(['CMD', 'kiln-temporal', 'ready']);
    expect(kilnTemporalBranch('ready')).toMatch(/pg_isready" --host=\/run\/postgresql/);
    expect(fs.existsSync(path.join(PROJECT_ROOT, 'images', 'runtime', 'kiln-healthcheck'))).toBe(true);
  });

  it('gives build workers a fixed hostname and the host\'s PIDs, so a restarted one reaps its predecessor\'s containers', () => {
    // Build containers are labelled with the worker's hostname and pid (activities/docker/reap-orphans.ts).
    for (const [name, service] of buildServices) {
      expect(service.pid, name).toBe('host');
      expect(service.hostname, name).toBe(`kiln-${name}`);
    }
    const hostnames = Object.values(services).map((s) => s.hostname).filter((h) => h !== undefined);
    expect(new Set(hostnames).size).toBe(hostnames.length);
  });

  // Temporal's frontend is the control plane (start, signal, cancel, terminate any workflow). Build containers run on
  // Docker's own networks and reach the host through their bridge's gateway: nothing may put 7233 where they can reach.
  it('publishes Temporal\'s frontend on no host address, and every published port on loopback by default', () => {
    const published = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((spec) => ({ name, spec })));
    expect(published.map((p) => p.name).sort()).toEqual(['api', 'temporal-ui']);
    for (const { name, spec } of published) {
      expect(typeof spec, `${name}: short port syntax, so this test can read it`).toBe('string');
      const parts = withDefaults(spec).split(':');
      expect(parts.length, `${name} ${spec}: host address, host port, container port`).toBe(3);
      expect(parts[0], `${name} ${spec}`).toBe('127.0.0.1');
      expect(parts[2].replace(/\/\w+$/, ''), `${name} ${spec}`).not.toBe('7233');
    }
    expect(services.temporal.ports).toBeUndefined();
    expect(JSON.stringify(services)).not.toMatch(/expose/);
    expect(config.temporal.address).toBe('temporal:7233'); // reached over the compose network, by service name
  });

  it('puts Temporal and the Kiln services on one compose network of their own, and none on the host\'s network', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!['postgres', 'temporal-schema', 'temporal'].includes(name)) expect(service.networks, name).toEqual(['kiln']);
      expect(service.network_mode, name).toBeUndefined();
    }
    // Networks compose makes for this project (<project>_kiln, <project>_temporal-db), not the default bridge build
    // containers start on nor one shared with anything else; the sandbox's build network (kiln-build-deps) is another.
    expect(Object.keys(compose.networks ?? {}).sort()).toEqual(['kiln', 'temporal-db']);
    for (const network of Object.values(compose.networks ?? {})) {
      expect(network?.external).toBeUndefined();
      expect(network?.name).toBeUndefined();
      expect(network?.driver).toBe('bridge');
    }
    expect(compose.networks!.kiln?.internal).toBeUndefined();
  });
});
