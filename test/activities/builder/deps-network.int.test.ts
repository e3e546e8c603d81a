import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNetwork, HOSTLESS_DEPS_NETWORK } from '../../../activities/builder/deps-network';
import { docker } from '../../../activities/docker/engine';
import { runContainer } from '../../../activities/docker/run-container';
import { builderImageTag } from '../../../domain/builder-image';

// The dependency network of a build worker that runs in a container (compose): the worker serves its proxy from its
// own address there, and the host has no address on it, so no host service is routable from a dependency phase,
// without the host firewall a containerised worker cannot install. Checked with real containers.

const image = builderImageTag('bookworm', 'amd64');
let hostService: http.Server;
let hostPort = 0;
let hostConnections = 0;
let gateway = '';
const labels = { 'org.kiln.test': 'deps-network' };

beforeAll(async () => {
  gateway = await ensureNetwork(true);
  hostService = http.createServer((_req, res) => res.end('host secret\n'));
  hostService.on('connection', () => { hostConnections++; });
  await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
  hostPort = (hostService.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => hostService.close(() => resolve()));
  for (const c of await docker().listContainers({ all: true, filters: { label: ['org.kiln.test=deps-network'] } })) {
    await docker().getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
});

describe('the hostless dependency network', () => {
  it('is internal, and its bridge gives the host no address', async () => {
    const info = await docker().getNetwork(HOSTLESS_DEPS_NETWORK).inspect() as { Internal: boolean; Options: Record<string, string> };
    expect(info.Internal).toBe(true);
    expect(info.Options['com.docker.network.bridge.inhibit_ipv4']).toBe('true');
    // The bridge exists once a container is attached; whether or not, the host holds no IPv4 address on it.
    const addresses = execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' });
    expect(addresses).not.toMatch(/kiln-depsh0/);
    // Asking again finds the same network (a restarted worker).
    expect(await ensureNetwork(true)).toBe(gateway);
  });

  it('a container on it reaches a peer (the worker) but nothing of the host', async () => {
    // The stand-in worker: a listener on the network, as the containerised build worker's proxy is.
    const peer = await docker().createContainer({
      Image: image, Labels: { 'org.kiln.managed': 'true', ...labels }, User: 'builder',
      Cmd: ['perl', '-MIO::Socket::INET', '-e', '$s = IO::Socket::INET->new(LocalPort => 8000, Listen => 5, ReuseAddr => 1) or die; while ($c = $s->accept) { print $c "worker here\\n"; close $c }'],
      HostConfig: { NetworkMode: HOSTLESS_DEPS_NETWORK, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
    });
    await peer.start();
    const peerAddress = ((await peer.inspect()) as { NetworkSettings: { Networks: Record<string, { IPAddress: string }> } })
      .NetworkSettings.Networks[HOSTLESS_DEPS_NETWORK].IPAddress;
    expect(peerAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    let output = '';
    const probe = (target: string, label: string) =>
      `if timeout 4 bash -c 'exec 3<>/dev/tcp/${target} && head -n 1 <&3' 2>/dev/null; then echo "${label}-REACHED"; else echo "${label}-BLOCKED"; fi`;
    const targets = [
      probe(`${peerAddress}/8000`, 'PEER'),
      ...(gateway ? [probe(`${gateway}/${hostPort}`, 'GATEWAY')] : []),
      probe(`172.17.0.1/${hostPort}`, 'DOCKER0'),
    ];
    const result = await runContainer({
      image, cmd: ['bash', '-c', `sleep 1; ${targets.join('; ')}`], networkMode: HOSTLESS_DEPS_NETWORK, user: 'builder', labels,
      onOutput: (chunk) => { output += chunk.toString(); }, timeoutMs: 60_000,
    });
    expect(result.exitCode, output).toBe(0);
    expect(output).toContain('worker here');
    expect(output).toContain('PEER-REACHED');
    expect(output).not.toMatch(/GATEWAY-REACHED|DOCKER0-REACHED/);
    expect(hostConnections).toBe(0);
  });
});
