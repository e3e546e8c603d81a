import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app';
import { DataLayout } from '../../../domain/data-layout';
import { APT_REFUSAL, APT_TEST_KEYRING, aptInstall, aptUpdate, type AptArch } from '../../helpers/apt-client';
import { testConfig } from '../../helpers/config';

// The real apt (in Kiln's builder images, amd64 and i386) against the real API serving a hand-made signed repository
// from <dataDir>/repos/example/main/current: installs, and refuses what was tampered with.

const ARCHES: AptArch[] = ['amd64', 'i386'];

let work: string;
let gnupgHome: string;
let repo: string;
let keyring: Buffer;
let app: FastifyInstance;
let sourcesLine: string;
let dataDir: string | undefined;

const run = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
const gpg = (...args: string[]) => run('gpg', ['--homedir', gnupgHome, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]);

/** One binary package whose /usr/bin/<name> prints `output`, built with dpkg-deb into the snapshot's pool. */
function buildDeb(snapshot: string, name: string, arch: string, output: string): void {
  const root = path.join(work, 'pkgroot', `${name}-${arch}`);
  fs.mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  fs.writeFileSync(path.join(root, 'DEBIAN/control'), [
    `Package: ${name}`,
    'Version: 1.0',
    `Architecture: ${arch}`,
    'Maintainer: Kiln Tests <tests@kiln.invalid>',
    'Section: misc',
    'Priority: optional',
    `Description: Kiln apt client test package ${name}`,
    ' Installed by test/api/routes/repos-apt.int.test.ts.',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(root, 'usr/bin', name), `#!/bin/sh\necho "${output}, dpkg says $(dpkg --print-architecture)"\n`, { mode: 0o755 });
  const pool = path.join(snapshot, 'pool/main/k', name);
  fs.mkdirSync(pool, { recursive: true });
  run('dpkg-deb', ['--build', '--root-owner-group', root, path.join(pool, `${name}_1.0_${arch}.deb`)]);
}

/** Packages (+ .xz) per arch, Release, InRelease and Release.gpg: what a publish would produce, signed by the test key. */
function writeIndices(snapshot: string): void {
  const dist = path.join(snapshot, 'dists/bookworm');
  for (const arch of ARCHES) {
    const dir = path.join(dist, 'main', `binary-${arch}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'Packages'), run('apt-ftparchive', ['--arch', arch, 'packages', 'pool/main'], { cwd: snapshot }));
    run('xz', ['-k', '-f', path.join(dir, 'Packages')]);
  }
  signRelease(snapshot);
}

function signRelease(snapshot: string): void {
  const dist = path.join(snapshot, 'dists/bookworm');
  for (const f of ['Release', 'InRelease', 'Release.gpg']) fs.rmSync(path.join(dist, f), { force: true });
  const release = run('apt-ftparchive', [
    '-o', 'APT::FTPArchive::Release::Origin=Kiln',
    '-o', 'APT::FTPArchive::Release::Label=Kiln test',
    '-o', 'APT::FTPArchive::Release::Suite=bookworm',
    '-o', 'APT::FTPArchive::Release::Codename=bookworm',
    '-o', `APT::FTPArchive::Release::Architectures=${ARCHES.join(' ')}`,
    '-o', 'APT::FTPArchive::Release::Components=main',
    'release', 'dists/bookworm',
  ], { cwd: snapshot });
  fs.writeFileSync(path.join(dist, 'Release'), release);
  gpg('--clearsign', '-o', path.join(dist, 'InRelease'), path.join(dist, 'Release'));
  gpg('--armor', '--detach-sign', '-o', path.join(dist, 'Release.gpg'), path.join(dist, 'Release'));
}

function switchCurrent(id: string): void {
  const tmp = path.join(repo, `.current-${id}`);
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(path.join('snapshots', id), tmp);
  fs.renameSync(tmp, path.join(repo, 'current'));
}

/** A copy of snapshot 1 changed by `tamper`, published as `id`. */
function tamperedSnapshot(id: string, tamper: (snapshot: string) => void): void {
  const snapshot = path.join(repo, 'snapshots', id);
  fs.cpSync(path.join(repo, 'snapshots/1'), snapshot, { recursive: true });
  tamper(snapshot);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-apt-'));
  gnupgHome = path.join(work, 'gnupg');
  fs.mkdirSync(gnupgHome, { mode: 0o700 });
  gpg('--quick-gen-key', 'Kiln Test Repository <repo@kiln.invalid>', 'ed25519', 'sign', 'never');
  keyring = gpg('--export');

  const config = testConfig([{ name: 'example', url: '/srv/example', architectures: ARCHES }]);
  dataDir = config.dataDir;
  repo = new DataLayout(config.dataDir).repo('example', 'main');
  const snapshot = path.join(repo, 'snapshots/1');
  buildDeb(snapshot, 'kiln-hello', 'all', 'hello from kiln');
  for (const arch of ARCHES) buildDeb(snapshot, 'kiln-arch', arch, `kiln-arch built for ${arch}`);
  writeIndices(snapshot);
  switchCurrent('1');

  // Tampered copies: a changed Packages (hash mismatch against the signed Release), a changed signed InRelease.
  tamperedSnapshot('packages-tampered', (s) => {
    for (const arch of ARCHES) {
      const file = path.join(s, 'dists/bookworm/main', `binary-${arch}`, 'Packages');
      // Same size (apt would stop at "unexpected size" otherwise), and no .xz: apt falls back to this file.
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/apt client test package/g, 'apt client EVIL package'));
      fs.rmSync(`${file}.xz`);
    }
  });
  tamperedSnapshot('inrelease-tampered', (s) => {
    const file = path.join(s, 'dists/bookworm/InRelease');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Label: Kiln test', 'Label: Kiln evil'));
  });

  app = buildApp({ config, health: { temporal: async () => undefined, docker: async () => undefined }, intake: async () => ({ workflowId: 'unused' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  sourcesLine = `deb [signed-by=${APT_TEST_KEYRING}] http://127.0.0.1:${port}/repos/example/main bookworm main`;
});

afterAll(async () => {
  await app?.close();
  if (gnupgHome) {
    try { run('gpgconf', ['--homedir', gnupgHome, '--kill', 'all']); } catch { /* no agent left */ }
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('apt against GET /repos/:tree/:branch/*', () => {
  it.each(ARCHES)('installs from the published repository on %s', async (arch) => {
    switchCurrent('1');
    const result = await aptInstall({ arch, sourcesLine, keyring, packages: ['kiln-hello', 'kiln-arch'], extraCommands: ['kiln-hello', 'kiln-arch'] });
    expect(result.output).toContain('==> done');
    expect(result.exitCode, result.output).toBe(0);
    // apt fetched Kiln's repository only (the image's Debian mirror was moved aside).
    expect(result.output).toMatch(new RegExp(`Get:\\d+ http://127\\.0\\.0\\.1:\\d+/repos/example/main bookworm/main ${arch} Packages`));
    expect(result.output).not.toMatch(/deb\.debian\.org/);
    expect(result.output).toContain(`hello from kiln, dpkg says ${arch}`);
    expect(result.output).toContain(`kiln-arch built for ${arch}, dpkg says ${arch}`);
  });

  it('refuses a Packages file that does not match the signed Release', async () => {
    switchCurrent('packages-tampered');
    const result = await aptUpdate({ arch: 'amd64', sourcesLine, keyring });
    expect(result.exitCode, result.output).not.toBe(0);
    expect(result.output).toMatch(/Hash Sum mismatch/i);
    expect(result.output).toMatch(APT_REFUSAL);

    // The same client, the untampered snapshot switched back in: accepted.
    switchCurrent('1');
    const again = await aptUpdate({ arch: 'amd64', sourcesLine, keyring });
    expect(again.exitCode, again.output).toBe(0);
  });

  it('refuses an InRelease whose signed text was changed', async () => {
    switchCurrent('inrelease-tampered');
    const result = await aptUpdate({ arch: 'i386', sourcesLine, keyring });
    expect(result.exitCode, result.output).not.toBe(0);
    expect(result.output).toMatch(/BADSIG|signatures were invalid/);
  });

  it('refuses a repository signed by a key it was not given', async () => {
    switchCurrent('1');
    const otherHome = path.join(work, 'gnupg-other');
    fs.mkdirSync(otherHome, { mode: 0o700 });
    const otherGpg = (...args: string[]) => run('gpg', ['--homedir', otherHome, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]);
    otherGpg('--quick-gen-key', 'Someone Else <else@kiln.invalid>', 'ed25519', 'sign', 'never');
    const otherKeyring = otherGpg('--export');
    try { run('gpgconf', ['--homedir', otherHome, '--kill', 'all']); } catch { /* no agent left */ }

    const result = await aptUpdate({ arch: 'amd64', sourcesLine, keyring: otherKeyring });
    expect(result.exitCode, result.output).not.toBe(0);
    expect(result.output).toMatch(/NO_PUBKEY/);
  });
});
