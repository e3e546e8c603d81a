import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { docker } from '../docker/engine';
import { debianMirrors } from './debian-mirror';
import { MirrorProxy } from './mirror-proxy';

const exec = promisify(execFile);

/** The internal network of dependency phases: no route out; the host answers on its gateway, the proxy only. */
export const DEPS_NETWORK = 'kiln-build-deps';
const BRIDGE = 'kiln-deps0';
const CHAIN = 'KILN-BUILD-DEPS';
/**
 * The same for a build worker that runs in a container (compose): the proxy is on the worker's own address there,
 * so the host needs none on the bridge, and has none (`inhibit_ipv4`): no host service is routable from a build,
 * with no host firewall the containerised worker could not install anyway.
 */
export const HOSTLESS_DEPS_NETWORK = 'kiln-build-deps-hostless';
const HOSTLESS_BRIDGE = 'kiln-depsh0';

export interface DepsNetwork {
  name: string;
  /** `http://<gateway>:<port>`: what apt in the container uses as its proxy. */
  proxyUrl: string;
}

let ready: Promise<DepsNetwork> | undefined;

/** Once per process: the network (made if missing), the proxy on its gateway, the host firewall rule. */
export function depsNetwork(log: (line: string) => void = (l) => console.log(`kiln build worker: ${l}`)): Promise<DepsNetwork> {
  ready ??= setUp(log).catch((err) => { ready = undefined; throw err; });
  return ready;
}

async function setUp(log: (line: string) => void): Promise<DepsNetwork> {
  const own = ownContainerId();
  if (own) {
    // A worker in a container (the compose deployment) cannot listen on the host's gateway: it joins the network
    // itself and serves the proxy from its own address there. Its other ports are not the host's.
    await ensureNetwork(true);
    const address = await joinNetwork(own, HOSTLESS_DEPS_NETWORK);
    const proxy = await MirrorProxy.start(address, debianMirrors(), (line) => log(`mirror proxy: ${line}`));
    return { name: HOSTLESS_DEPS_NETWORK, proxyUrl: proxy.url };
  }
  const gateway = await ensureNetwork(false);
  const proxy = await MirrorProxy.start(gateway, debianMirrors(), (line) => log(`mirror proxy: ${line}`));
  await firewall(proxy.port, log);
  return { name: DEPS_NETWORK, proxyUrl: proxy.url };
}

/** This process's container, when it runs in one: the engine bind-mounts /etc/hostname from the container's folder. */
function ownContainerId(): string | undefined {
  try {
    return /\/containers\/([0-9a-f]{64})\/hostname /.exec(fs.readFileSync('/proc/self/mountinfo', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function joinNetwork(container: string, name: string): Promise<string> {
  const network = docker().getNetwork(name);
  await network.connect({ Container: container }).catch((err: { statusCode?: number; message?: string }) => {
    // Already connected (a restarted worker in the same container) is fine.
    if (err.statusCode !== 403 && !/already exists/.test(String(err.message))) throw err;
  });
  const info = await docker().getContainer(container).inspect() as { NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } };
  const address = info.NetworkSettings?.Networks?.[name]?.IPAddress;
  if (!address) throw new Error(`container ${container.slice(0, 12)} has no address on ${name}`);
  return address;
}

/** The network, made if missing; its IPv4 gateway (where the host answers; unassigned when `hostless`). */
export async function ensureNetwork(hostless: boolean): Promise<string> {
  const name = hostless ? HOSTLESS_DEPS_NETWORK : DEPS_NETWORK;
  const network = docker().getNetwork(name);
  let info = await network.inspect().catch(() => undefined) as NetworkInfo | undefined;
  if (!info) {
    await docker().createNetwork({
      Name: name,
      Internal: true,
      CheckDuplicate: true,
      Labels: { 'org.kiln.managed': 'true' },
      Options: hostless
        ? { 'com.docker.network.bridge.name': HOSTLESS_BRIDGE, 'com.docker.network.bridge.inhibit_ipv4': 'true' }
        : { 'com.docker.network.bridge.name': BRIDGE },
    }).catch((err: { statusCode?: number }) => { if (err.statusCode !== 409) throw err; });
    info = await network.inspect() as NetworkInfo;
  }
  if (!info.Internal) throw new Error(`docker network ${name} exists but is not internal: remove it (docker network rm ${name})`);
  if (hostless && info.Options?.['com.docker.network.bridge.inhibit_ipv4'] !== 'true') {
    throw new Error(`docker network ${name} exists but gives the host an address: remove it (docker network rm ${name})`);
  }
  const gateway = info.IPAM?.Config?.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
  if (hostless) return gateway ?? '';
  if (!gateway) throw new Error(`docker network ${name} has no IPv4 gateway`);
  return gateway;
}

interface NetworkInfo {
  Internal?: boolean;
  Options?: Record<string, string>;
  IPAM?: { Config?: Array<{ Gateway?: string }> };
}

/**
 * A container on the internal network can still reach every host port on its gateway: only the proxy's port is let
 * in; the rest (the API, Temporal, an SSH server, anything bound to 0.0.0.0) is dropped. Best effort where iptables
 * is not ours to change (then docs/SECURITY.md applies: bind host services to loopback).
 */
async function firewall(port: number, log: (line: string) => void): Promise<void> {
  const ipt = (...args: string[]) => exec('iptables', ['-w', '5', ...args]);
  const has = (...args: string[]) => ipt('-C', ...args).then(() => true, () => false);
  try {
    await ipt('-N', CHAIN).catch(() => undefined);
    if (!(await has(CHAIN, '-j', 'DROP'))) await ipt('-A', CHAIN, '-j', 'DROP');
    if (!(await has(CHAIN, '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT'))) await ipt('-I', CHAIN, '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT');
    if (!(await has('INPUT', '-i', BRIDGE, '-j', CHAIN))) await ipt('-I', 'INPUT', '-i', BRIDGE, '-j', CHAIN);
    const cleanup = () => {
      try { execFileSync('iptables', ['-w', '5', '-D', CHAIN, '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT'], { stdio: 'ignore' }); } catch { /* gone already */ }
    };
    process.once('exit', cleanup);
  } catch (err) {
    log(`WARNING: cannot restrict host ports on ${BRIDGE} with iptables (${(err as Error).message.split('\n')[0]}); ` +
      'dependency phases can reach host services bound to all addresses');
  }
}
