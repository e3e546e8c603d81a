import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../domain/config';
import { PROJECT_ROOT } from '../../domain/project-paths';
import { buildTaskQueue, ORCHESTRATOR_TASK_QUEUE, SIGN_TASK_QUEUE } from '../../domain/task-queues';

// The docker-compose deployment (docker-compose.yml + deploy/kiln.compose.yaml), checked as files: what each container
// runs, mounts and is told. Running it for real needs the runtime image (scripts/build-runtime-image.sh); see README.

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

const compose = parse(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
  version: string;
  services: Record<string, Service>;
  networks?: Record<string, { driver?: string; external?: unknown; name?: string; internal?: boolean } | null>;
};
const services = compose.services;
const nodeServices = Object.entries(services).filter(([, s]) => Array.isArray(s.command) && s.command[0] === 'node');

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

// The config every container is given, as the compose file names it by default.
const configMounts = nodeServices.map(([, s]) => mounts(s).find((m) => m.target === CONFIG_IN_CONTAINER));
const configHostFile = path.resolve(PROJECT_ROOT, withDefaults(configMounts[0]?.source ?? ''));
const config = loadConfig(configHostFile, {});

describe('docker-compose.yml', () => {
  it('runs every process of Kiln: Temporal, orchestrator, a build worker per configured arch, signer, API', () => {
    const arches = [...new Set(config.trees.flatMap((t) => t.architectures))];
    expect(Object.keys(services).sort()).toEqual(['api', 'orchestrator', 'signer', 'temporal', ...arches.map((a) => `build-${a}`)].sort());
    for (const arch of arches) {
      const command = services[`build-${arch}`].command as string[];
      expect(command.slice(0, 2)).toEqual(['node', 'dist/workers/build.js']);
      expect(command[command.indexOf('--arch') + 1]).toBe(arch);
    }
  });

  it('starts each node service from a compiled entry whose source is in workers/ or api/', () => {
    expect(nodeServices.length).toBe(Object.keys(services).length - 1); // all but temporal
    for (const [name, service] of nodeServices) {
      const entry = (service.command as string[])[1];
      const match = /^dist\/((workers|api)\/[\w-]+)\.js$/.exec(entry);
      expect(match, `${name}: ${entry}`).not.toBeNull();
      expect(fs.existsSync(path.join(PROJECT_ROOT, `${match![1]}.ts`)), `${name}: ${match![1]}.ts`).toBe(true);
    }
  });

  it('gives every service the same config file, read-only, by --config and KILN_CONFIG', () => {
    for (const [name, service] of nodeServices) {
      const command = service.command as string[];
      expect(command[command.indexOf('--config') + 1], name).toBe(CONFIG_IN_CONTAINER);
      expect(service.environment?.KILN_CONFIG, name).toBe(CONFIG_IN_CONTAINER);
    }
    expect(configMounts.every((m) => m !== undefined)).toBe(true);
    expect(new Set(configMounts.map((m) => m!.source)).size).toBe(1);
    expect(configMounts.every((m) => m!.mode === 'ro')).toBe(true);
    expect(configHostFile).toBe(path.join(PROJECT_ROOT, 'deploy', 'kiln.compose.yaml'));
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

  it('mounts the data dir at the same path inside and outside, the config\'s dataDir, read-only for the API', () => {
    const dataMount = (name: string) => mounts(services[name]).find((m) => withDefaults(m.source) === config.dataDir || withDefaults(m.target) === config.dataDir);
    for (const name of ['orchestrator', 'temporal', 'api', ...Object.keys(services).filter((n) => n.startsWith('build-'))]) {
      const mount = dataMount(name);
      expect(mount, name).toBeDefined();
      expect(mount!.source, name).toBe(mount!.target); // identical as written, so also after interpolation
      expect(mount!.mode, name).toBe(name === 'api' ? 'ro' : 'rw');
    }
    expect(withDefaults(services.temporal.command as string)).toContain(`--db-filename ${config.dataDir}/temporal.db`);
    // The one place the API writes: the webhook delivery IDs it has acted on (api/intake/delivery-record.ts).
    const webhooks = mounts(services.api).find((m) => withDefaults(m.target) === `${config.dataDir}/webhooks`);
    expect(webhooks && { ...webhooks, source: withDefaults(webhooks.source) }).toEqual({ source: `${config.dataDir}/webhooks`, target: webhooks?.target, mode: 'rw' });
  });

  it('points the config at the compose Temporal server, run by compose rather than by Kiln', () => {
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.temporal.embedded).toBe(false);
    expect(config.api.host).toBe('0.0.0.0');
    const command = withDefaults(services.temporal.command as string);
    expect(command).toMatch(/^temporal server start-dev /);
    expect(command).toContain('--ip 0.0.0.0');
    expect(command).toContain('--port 7233');
    expect(command).toContain(`--namespace ${config.temporal.namespace}`);
    expect(withDefaults(services.api.ports![0])).toBe(`127.0.0.1:8080:${config.api.port}`);
    expect(withDefaults(services.temporal.ports![0])).toBe('127.0.0.1:8233:8233');
  });

  it('restarts everything, waits for a healthy Temporal, and checks each worker polls its own task queue', () => {
    const queues: Record<string, string[]> = {
      orchestrator: [ORCHESTRATOR_TASK_QUEUE, 'workflow'],
      signer: [SIGN_TASK_QUEUE, 'activity'],
    };
    for (const name of Object.keys(services).filter((n) => n.startsWith('build-'))) queues[name] = [buildTaskQueue(name.slice('build-'.length)), 'activity'];
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.image, name).toBe('${KILN_RUNTIME_IMAGE:-kiln-runtime:latest}');
      expect(service.healthcheck?.test?.[0], name).toBe('CMD');
      if (name !== 'temporal') expect(service.depends_on, name).toEqual({ temporal: { condition: 'service_healthy' } });
      if (queues[name]) expect(service.healthcheck!.test!.slice(1), name).toEqual(['kiln-healthcheck', 'poller', ...queues[name]]);
    }
    expect(fs.existsSync(path.join(PROJECT_ROOT, 'images', 'runtime', 'kiln-healthcheck'))).toBe(true);
  });

  it('gives build workers a fixed hostname and the host\'s PIDs, so a restarted one reaps its predecessor\'s containers', () => {
    // Build containers are labelled with the worker's hostname and pid (activities/docker/reap-orphans.ts).
    const builds = Object.entries(services).filter(([n]) => n.startsWith('build-'));
    for (const [name, service] of builds) {
      expect(service.pid, name).toBe('host');
      expect(service.hostname, name).toBe(`kiln-${name}`);
    }
    expect(new Set(Object.values(services).map((s) => s.hostname)).size).toBe(Object.keys(services).length);
  });

  // Temporal's frontend is the control plane (start, signal, cancel, terminate any workflow). Build containers run on
  // Docker's own networks and reach the host through their bridge's gateway: nothing may put 7233 where they can reach.
  it('publishes Temporal\'s frontend on no host address, and every published port on loopback by default', () => {
    const published = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((spec) => ({ name, spec })));
    for (const { name, spec } of published) {
      expect(typeof spec, `${name}: short port syntax, so this test can read it`).toBe('string');
      const parts = withDefaults(spec).split(':');
      expect(parts.length, `${name} ${spec}: host address, host port, container port`).toBe(3);
      expect(parts[0], `${name} ${spec}`).toBe('127.0.0.1');
      expect(parts[2].replace(/\/\w+$/, ''), `${name} ${spec}`).not.toBe('7233');
    }
    expect(services.temporal.ports!.map((p) => withDefaults(p).split(':')[2])).toEqual(['8233']);
    expect(config.temporal.address).toBe('temporal:7233'); // reached over the compose network, by service name
  });

  it('puts Temporal and the Kiln services on one compose network of their own, and none on the host\'s network', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.networks, name).toEqual(['kiln']);
      expect(service.network_mode, name).toBeUndefined();
    }
    // A network compose makes for this project (<project>_kiln), not the default bridge build containers start on
    // nor one shared with anything else; the build network of the sandbox (kiln-build-deps) is another one.
    expect(Object.keys(compose.networks ?? {})).toEqual(['kiln']);
    const kiln = compose.networks!.kiln ?? {};
    expect(kiln.external).toBeUndefined();
    expect(kiln.name).toBeUndefined();
    expect(kiln.driver).toBe('bridge');
  });
});
