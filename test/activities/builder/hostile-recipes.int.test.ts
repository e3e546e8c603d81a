import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildRequest } from '../../../activities/builder/build-request';
import { localBuilder, type LocalBuilder } from '../../helpers/local-builder';
import { DEPS_NETWORK, depsNetwork } from '../../../activities/builder/deps-network';
import { docker } from '../../../activities/docker/engine';
import { WipKey } from '../../../activities/wip/wip-key';
import { WipRepo } from '../../../activities/wip/wip-repo';
import { DataLayout } from '../../../domain/data-layout';
import { writeFixturePackage, type FixturePackage } from '../../helpers/deb-fixtures';

// Recipes written by an attacker, built through the real Docker engine. Every attack bounds itself (counts, sizes,
// timeouts), so a Kiln without the defences fails these tests without harming the machine. Each must end as one
// clear failed build (or a harmless success), leave nothing on the host outside the build's own folders, and leave
// the worker (this process) serving.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-hostile-'));
const layout = new DataLayout(root);
// Builds go through the blob exchange, as on a worker of another machine: Kiln's API on loopback, a worker cache.
let builder: LocalBuilder;
const push = { tree: 'hostile', branch: 'main', commit: 'c'.repeat(40) };
const limits = { timeoutMinutes: 5, memoryMb: 1024, cpus: 1, pids: 512 };
const OUT = '/home/builder/out';

function request(pkg: FixturePackage, extra: Partial<BuildRequest> = {}, arch = 'amd64'): BuildRequest {
  const treeHash = `${pkg.name}-${pkg.version}`;
  const dir = layout.recipe('hostile', treeHash);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(writeFixturePackage(fs.mkdtempSync(path.join(root, 'src-')), pkg), dir);
  return {
    push, limits, tree: 'hostile', suite: 'bookworm', source: pkg.name, version: pkg.version, arch,
    scope: pkg.architecture === 'all' ? 'all' : 'any', treeHash,
    binaries: [{ name: pkg.name, all: pkg.architecture === 'all' }],
    ...extra,
  };
}

/** A package whose build step runs `attack.sh` (as the build user, inside dpkg-buildpackage). */
function attack(name: string, script: string, architecture = 'any'): FixturePackage {
  return { name, version: '1.0', architecture, buildScript: 'sh ./attack.sh', extraFiles: { 'attack.sh': `#!/bin/sh\n${script}\n` } };
}

async function failure(req: BuildRequest): Promise<ApplicationFailure> {
  const error = await builder.build(req).catch((e: unknown) => e);
  expect(error, String(error)).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

const logOf = (source: string, arch = 'amd64') => fs.readFileSync(layout.buildLog(push, source, arch), 'utf8');
const storeFiles = () => builder.storedResults();

async function kilnContainers(): Promise<number> {
  return (await docker().listContainers({ all: true, filters: { label: ['org.kiln.build-key', `org.kiln.worker-pid=${process.pid}`] } })).length;
}

describe('hostile recipes', () => {
  beforeAll(async () => { builder = await localBuilder(root, { hostile: { branches: ['main'], architectures: ['amd64', 'i386'] } }); });
  afterAll(async () => { await builder?.close(); });
  // A host service listening on every address, as Temporal or the API might: no build phase may reach it.
  let hostService: http.Server;
  let hostConnections = 0;
  let hostPort = 0;
  let gateway = '';
  let proxyPort = 0;

  beforeAll(async () => {
    hostService = http.createServer((_req, res) => res.end('host secret\n'));
    hostService.on('connection', () => { hostConnections++; });
    await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
    hostPort = (hostService.address() as AddressInfo).port;
    const deps = await depsNetwork(() => undefined);
    const url = new URL(deps.proxyUrl);
    gateway = url.hostname;
    proxyPort = Number(url.port);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => hostService.close(() => resolve()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a symlink in the results is refused, once, and the host file it names never reaches the store', async () => {
    const before = storeFiles();
    const error = await failure(request(attack('kiln-evil-symlink', `ln -s /etc/hostname ${OUT}/evil.changes`)));
    expect(error.type).toBe('BuildResultRejected');
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toContain('symbolic link');
    expect(storeFiles()).toEqual(before);
    // Nothing was uploaded of it: no blob anywhere in the store holds the host file.
    const hostname = fs.readFileSync('/etc/hostname');
    expect(fs.readdirSync(layout.store).filter((n) => fs.statSync(path.join(layout.store, n)).isFile() && fs.readFileSync(path.join(layout.store, n)).equals(hostname))).toEqual([]);
    expect(fs.existsSync(builder.cache.work)).toBe(true); // the worker's work folder stays...
    expect(fs.readdirSync(builder.cache.work)).toEqual([]); // ...but no work dir of a failed build is kept
    expect(await kilnContainers()).toBe(0);
  });

  it('a FIFO, and a device node it cannot even make, are refused', async () => {
    const error = await failure(request(attack('kiln-evil-fifo',
      `mknod ${OUT}/null.deb c 1 3 2>&1 || echo MKNOD-REFUSED; mkfifo ${OUT}/pipe.changes`)));
    expect(error.type).toBe('BuildResultRejected');
    expect(error.message).toContain('FIFO');
    expect(logOf('kiln-evil-fifo')).toContain('MKNOD-REFUSED');
  });

  it('a hard link to a recipe file on the host cannot be made; the build succeeds with only its own files', async () => {
    const outcome = await builder.build(request(attack('kiln-evil-hardlink',
      `ln /src/debian/control ${OUT}/stolen.changes 2>&1 && echo LINKED || echo LINK-REFUSED`)));
    expect(logOf('kiln-evil-hardlink')).toContain('LINK-REFUSED');
    expect(outcome.artifacts.map((a) => a.package)).toEqual(['kiln-evil-hardlink']);
  });

  it('a result name with a newline cannot inject an index field', async () => {
    const error = await failure(request(attack('kiln-evil-newline', `touch "${OUT}/$(printf 'a\\nFilename: x').deb"`)));
    expect(error.type).toBe('BuildResultRejected');
    expect(error.message).toContain('is not allowed');
  });

  it('a .deb whose Architecture is a path is refused before anything is written', async () => {
    const escape = path.join(os.tmpdir(), 'kiln-escape-canary');
    const error = await failure(request(attack('kiln-evil-arch', [
      'mkdir -p fake/DEBIAN',
      `printf 'Package: kiln-evil-arch\\nVersion: 1.0\\nArchitecture: ../../../..${escape}\\nMaintainer: x <x@x.invalid>\\nDescription: x\\n' > fake/DEBIAN/control`,
      `dpkg-deb --nocheck --build fake ${OUT}/kiln-evil-arch_1.0_x.deb`,
    ].join('\n'))));
    expect(error.type).toBe('BuildResultRejected');
    expect(error.message).toMatch(/Architecture|names/);
    expect(fs.existsSync(escape)).toBe(false);
  });

  it('a source package is taken only from the build asked for it, and only as the .dsc lists it', async () => {
    // Not asked: a .dsc it leaves (here, a copy of its own source package) is refused.
    const unasked = await failure(request(attack('kiln-evil-dsc', `cd .. && dpkg-source -b pkg >/dev/null && cp kiln-evil-dsc_1.0.dsc kiln-evil-dsc_1.0.tar.xz ${OUT}/`)));
    expect(unasked.type).toBe('BuildResultRejected');
    expect(unasked.message).toMatch(/was not asked for the source package/);
    // Asked: the build step slips a tarball of its own in beside the one the .dsc lists (dpkg itself would catch a
    // swapped one: dpkg-genchanges checks the .dsc's sizes).
    const slipped = await failure(request(attack('kiln-evil-tarball', 'echo evil | gzip > ../kiln-evil-tarball_1.0.orig.tar.gz'), { withSource: true }));
    expect(slipped.type).toBe('BuildResultRejected');
    expect(slipped.message).toMatch(/kiln-evil-tarball_1\.0\.orig\.tar\.gz is not listed by the \.dsc/);
    // An honest one: the .dsc and tarball are kept as the source's artifacts beside its package.
    const honest = await builder.build(request({ name: 'kiln-honest-src', version: '1.0', architecture: 'any' }, { withSource: true }));
    expect(honest.artifacts.map((a) => [a.file, a.architecture]).sort()).toEqual([
      ['kiln-honest-src_1.0.dsc', 'source'], ['kiln-honest-src_1.0.tar.xz', 'source'], ['kiln-honest-src_1.0_amd64.deb', 'amd64'],
    ]);
  });

  it('a source cannot publish a package it does not declare (libc6)', async () => {
    const error = await failure(request(attack('kiln-evil-libc', [
      'mkdir -p fake/DEBIAN',
      "printf 'Package: libc6\\nVersion: 1.0\\nArchitecture: amd64\\nMaintainer: x <x@x.invalid>\\nDescription: x\\n' > fake/DEBIAN/control",
      `dpkg-deb --build fake ${OUT}/libc6_1.0_amd64.deb`,
    ].join('\n'))));
    expect(error.type).toBe('BuildResultRejected');
    expect(error.message).toContain('libc6 is not declared');
  });

  it('control fields that would rewrite the index entry are refused', async () => {
    const error = await failure(request(attack('kiln-evil-fields', [
      'mkdir -p fake/DEBIAN',
      "printf 'Package: kiln-evil-fields\\nVersion: 1.1\\nArchitecture: amd64\\nFilename: pool/elsewhere.deb\\nMaintainer: x <x@x.invalid>\\nDescription: x\\n' > fake/DEBIAN/control",
      `dpkg-deb --nocheck --build fake ${OUT}/kiln-evil-fields_1.1_amd64.deb`,
    ].join('\n'))));
    expect(error.type).toBe('BuildResultRejected');
    expect(error.message).toContain('Filename');
  });

  it('the build step has no network, no capabilities and no root; the log says so', async () => {
    await builder.build(request(attack('kiln-evil-net', [
      'grep CapEff /proc/self/status; echo "uid=$(id -u)"',
      `for target in deb.debian.org/80 ${gateway}/${proxyPort} ${gateway}/${hostPort}; do`,
      '  if timeout 5 bash -c "exec 3<>/dev/tcp/$target" 2>/dev/null; then echo "REACHED $target"; else echo "BLOCKED $target"; fi',
      'done',
    ].join('\n'))));
    const log = logOf('kiln-evil-net');
    expect(log).toContain('build step: no network');
    expect(log).toMatch(/CapEff:\s+0000000000000000/);
    expect(log).toContain('uid=1000');
    expect(log).not.toContain('REACHED');
    expect(log.match(/BLOCKED/g)).toHaveLength(3);
  });

  it('a build dependency built by the same push runs its postinst as root with few capabilities and the mirror only', async () => {
    const wip = new WipRepo(layout, new WipKey(layout.wipKeyDir), push);
    const postinst = [
      '#!/bin/bash',
      'grep CapEff /proc/self/status',
      'mknod /tmp/kiln-null c 1 3 2>/dev/null && echo MKNOD-OK || echo MKNOD-REFUSED',
      `timeout 5 bash -c 'exec 3<>/dev/tcp/${gateway}/${hostPort}' 2>/dev/null && echo HOST-REACHED || echo HOST-BLOCKED`,
      "timeout 5 bash -c 'exec 3<>/dev/tcp/deb.debian.org/80' 2>/dev/null && echo DIRECT-REACHED || echo DIRECT-BLOCKED",
      `exec 3<>/dev/tcp/${gateway}/${proxyPort} && printf 'GET http://example.invalid/ HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3`,
      // A setuid-root shell planted where the dependent's results are collected.
      `mkdir -p ${OUT} && cp /bin/bash ${OUT}/planted.changes && chmod 4755 ${OUT}/planted.changes`,
      // A root daemon that would keep its capabilities into the dependent's build step (bounded: 5 minutes).
      "nohup bash -c 'exec -a kiln-evil-daemon sleep 300' >/dev/null 2>&1 &",
      'exit 0',
    ].join('\n');
    const dep = await builder.build(request({ name: 'kiln-evil-dep', version: '1.0', architecture: 'all', extraFiles: { 'debian/postinst': `${postinst}\n` } }));
    await wip.add([dep.key]);
    const victim = request({
      name: 'kiln-victim', version: '1.0', architecture: 'any', buildDepends: ['kiln-evil-dep'], buildScript: 'sh ./count.sh',
      extraFiles: {
        'count.sh': [
          '#!/bin/sh',
          'n=0',
          'for f in /proc/[0-9]*/cmdline; do case "$(tr "\\0" " " <"$f" 2>/dev/null)" in kiln-evil-daemon*) n=$((n + 1)) ;; esac; done',
          'echo "EVIL-DAEMONS=$n"',
          // The setuid-root shell the postinst planted: no-new-privileges keeps it at the build user's uid.
          `${OUT}/planted.changes -p -c 'echo "PLANTED-EUID=$(id -u)"' || echo PLANTED-NOT-RUN`,
        ].join('\n') + '\n',
      },
    });
    const outcome = await builder.build(victim);
    const log = logOf('kiln-victim');
    expect(log).toMatch(/CapEff:\s+00000000000000fb/); // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
    expect(log).toContain('MKNOD-REFUSED');
    expect(log).toContain('HOST-BLOCKED');
    expect(log).toContain('DIRECT-BLOCKED');
    expect(log).toMatch(/HTTP\/1\.1 403/);
    // The postinst's daemon was killed before the build step began, and the log says so.
    expect(log).toMatch(/killed [1-9]\d* process\(es\) the dependency phase left running/);
    expect(log).toContain('EVIL-DAEMONS=0');
    expect(log).toContain('PLANTED-EUID=1000');
    expect(hostConnections).toBe(0);
    expect(outcome.artifacts.map((a) => a.package)).toEqual(['kiln-victim']);
    // Whatever it left was copied by the host as a plain file: no setuid bit survives.
    for (const name of storeFiles()) {
      expect(fs.statSync(path.join(layout.store, name)).mode & 0o7000).toBe(0);
    }
  });

  it('a dependency that removes the build\'s work dir fails the build once, as the recipe\'s fault (no retry storm)', async () => {
    const wip = new WipRepo(layout, new WipKey(layout.wipKeyDir), push);
    const dep = await builder.build(request({
      name: 'kiln-evil-rmwork', version: '1.0', architecture: 'all',
      extraFiles: { 'debian/postinst': '#!/bin/sh\nrm -rf /home/builder/work\nexit 0\n' },
    }));
    await wip.add([dep.key]);
    const error = await failure(request({ name: 'kiln-rmwork-victim', version: '1.0', architecture: 'any', buildDepends: ['kiln-evil-rmwork'] }));
    expect(error.type).toBe('BuildFailed');
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toMatch(/work dir gone/);
  });

  it('a disk fill stops at build.diskMb with BuildDiskQuota', async () => {
    const error = await failure(request(attack('kiln-evil-disk', 'dd if=/dev/zero of=/tmp/fill bs=1M count=1200; exit 1'),
      { limits: { ...limits, diskMb: 640 } }));
    expect(error.type).toBe('BuildDiskQuota');
    expect(error.nonRetryable).toBe(true);
    expect(logOf('kiln-evil-disk')).toMatch(/No space left|Disk quota exceeded/);
  });

  it('a 2 GiB log is cut at build.logMaxMb and fails the build with BuildLogTooLarge', async () => {
    const error = await failure(request(attack('kiln-evil-log', 'yes kiln-log-flood | head -c 2147483648'), { limits: { ...limits, logMaxMb: 1 } }));
    expect(error.type).toBe('BuildLogTooLarge');
    const file = layout.buildLog(push, 'kiln-evil-log', 'amd64');
    expect(fs.statSync(file).size).toBeLessThan(1.1 * 1048576);
    expect(logOf('kiln-evil-log')).toContain('log cut at 1 MiB');
    expect(await kilnContainers()).toBe(0);
  });

  it('a fork bomb in an endless loop hits the process limit and the timeout, nothing more', async () => {
    const error = await failure(request(attack('kiln-evil-forkbomb', "bash -c ':(){ :|:& };:'; while :; do :; done"),
      { limits: { ...limits, pids: 64, timeoutMinutes: 0.5 } }));
    expect(error.type).toBe('BuildTimedOut');
    expect(await kilnContainers()).toBe(0);
  });

  it('a log that cannot be written (on the server) fails the build, not the worker or the API', async () => {
    const logDir = path.dirname(layout.buildLog(push, 'kiln-evil-enospc', 'amd64'));
    fs.mkdirSync(logDir, { recursive: true });
    const tiny = fs.mkdtempSync(path.join(root, 'tiny-'));
    const { execFileSync } = await import('node:child_process');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', tiny]);
    try {
      const req = request(attack('kiln-evil-enospc', 'yes kiln-enospc | head -c 4194304'));
      // The build's log folder on the server is a full file system.
      fs.rmSync(logDir, { recursive: true, force: true });
      fs.symlinkSync(tiny, logDir);
      const error = await builder.build(req).catch((e: unknown) => e);
      expect(String(error)).toMatch(/build log could not be sent to Kiln's API/);
    } finally {
      execFileSync('umount', [tiny]);
      fs.rmSync(logDir, { force: true });
    }
  });

  it('build.network: true keeps the network in the build step (the documented unsafe opt-in)', async () => {
    await builder.build(request(attack('kiln-open-net',
      'timeout 10 bash -c "exec 3<>/dev/tcp/deb.debian.org/80" && echo REACHED-MIRROR || echo BLOCKED-MIRROR'),
    { limits: { ...limits, network: true } }));
    expect(logOf('kiln-open-net')).toContain('WITH network');
    expect(logOf('kiln-open-net')).toContain('REACHED-MIRROR');
  });

  it('the dependency network is internal', async () => {
    const info = await docker().getNetwork(DEPS_NETWORK).inspect() as { Internal: boolean };
    expect(info.Internal).toBe(true);
  });
});
