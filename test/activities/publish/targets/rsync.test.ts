import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PublishTargetError, classifyRsyncExit, rsyncTarget } from '../../../../activities/publish/targets';
import { pacmanSnapshotIndex } from '../../../../activities/formats/pacman/pacman-snapshot-index';

// Real rsync between local folders. A snapshot here looks like the publisher's: dists/<suite>/..., pool files that
// are hard links or symlinks into an artifact store, public keys at the top.

let root: string;
beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-rsync-')); });
afterEach(() => { fs.rmSync(root, { recursive: true, force: true }); });

// Every file written gets this one modification time: like a republish within one second, so a changed index of
// the same size is told apart by content only (and the counts below do not depend on the clock).
const MTIME = new Date('2024-05-01T12:00:00Z');

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, MTIME, MTIME);
  return file;
}

/** A store file (mode 0444, like a content-addressed store) linked into the snapshot's pool. */
function storeFile(name: string, text: string): string {
  const file = write(path.join(root, 'store', name), text);
  fs.chmodSync(file, 0o444);
  return file;
}

interface SnapshotSpec {
  release: string;
  /** pool path → store file; `link: 'hard' | 'symlink'`. */
  pool: Record<string, { store: string; link: 'hard' | 'symlink' }>;
  dangling?: string;
}

function snapshot(name: string, spec: SnapshotSpec): string {
  const dir = path.join(root, 'snapshots', name);
  write(path.join(dir, 'dists', 'stable', 'Release'), spec.release);
  write(path.join(dir, 'dists', 'stable', 'InRelease'), `signed ${spec.release}`);
  write(path.join(dir, 'dists', 'stable', 'main', 'binary-amd64', 'Packages'), `packages of ${spec.release}`);
  write(path.join(dir, 'minisign.pub'), 'public key');
  for (const [pool, { store, link }] of Object.entries(spec.pool)) {
    const target = path.join(dir, pool);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (link === 'hard') fs.linkSync(store, target);
    else fs.symlinkSync(store, target);
  }
  if (spec.dangling) {
    fs.mkdirSync(path.dirname(path.join(dir, spec.dangling)), { recursive: true });
    fs.symlinkSync(path.join(root, 'store', 'collected-long-ago'), path.join(dir, spec.dangling));
  }
  return dir;
}

/** Every file under `dir`, relative, with its content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else out[rel] = entry.isSymbolicLink() ? `symlink -> ${fs.readlinkSync(path.join(dir, rel))}` : fs.readFileSync(path.join(dir, rel), 'utf8');
    }
  };
  walk('');
  return out;
}

async function failure(promise: Promise<unknown>): Promise<PublishTargetError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PublishTargetError);
  return err as PublishTargetError;
}

/** Puts a fake `rsync` first on PATH for one test (a shell script given its body). */
function fakeRsync(body: string): void {
  const bin = path.join(root, 'bin');
  write(path.join(bin, 'rsync'), `#!/bin/sh\n${body}\n`);
  fs.chmodSync(path.join(bin, 'rsync'), 0o755);
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved ?? ''}`;
  afterEach(() => { process.env.PATH = saved; });
}

describe('rsyncTarget: mirroring a snapshot', () => {
  it('copies a symlink repo as real files, world-readable, into a folder it creates', async () => {
    const a = storeFile('a', 'package a 1.0');
    const b = storeFile('b', 'package b 1.0');
    const source = snapshot('1', { release: 'R1', pool: { 'pool/main/a/a_1.0.deb': { store: a, link: 'hard' }, 'pool/main/b/b_1.0.deb': { store: b, link: 'symlink' } } });
    const dest = path.join(root, 'mirror');
    const lines: string[] = [];

    const result = await rsyncTarget(dest, source, { log: (line) => lines.push(line) });

    expect(tree(dest)).toEqual({
      'dists/stable/Release': 'R1',
      'dists/stable/InRelease': 'signed R1',
      'dists/stable/main/binary-amd64/Packages': 'packages of R1',
      'minisign.pub': 'public key',
      'pool/main/a/a_1.0.deb': 'package a 1.0',
      'pool/main/b/b_1.0.deb': 'package b 1.0',
    });
    expect(fs.statSync(path.join(dest, 'pool/main/a/a_1.0.deb')).mode & 0o777).toBe(0o644);
    expect(fs.statSync(path.join(dest, 'pool/main')).mode & 0o777).toBe(0o755);
    expect(result).toEqual({ filesTransferred: 6, filesDeleted: 0 });
    expect(lines.filter((l) => /pass \d\/3 \(.*\) done/.test(l))).toHaveLength(3);
  });

  it('a new snapshot: new and changed files arrive, what is gone is deleted, unchanged files are not sent again', async () => {
    const a = storeFile('a', 'package a 1.0');
    const b = storeFile('b', 'package b 1.0');
    const b2 = storeFile('b2', 'package b 2.0');
    const dest = path.join(root, 'mirror');
    await rsyncTarget(dest, snapshot('1', { release: 'R1', pool: {
      'pool/main/a/a_1.0.deb': { store: a, link: 'hard' }, 'pool/main/b/b_1.0.deb': { store: b, link: 'hard' },
    } }));

    const result = await rsyncTarget(dest, snapshot('2', { release: 'R2', pool: {
      'pool/main/a/a_1.0.deb': { store: a, link: 'hard' }, 'pool/main/b/b_2.0.deb': { store: b2, link: 'symlink' },
    } }));

    expect(tree(dest)).toEqual({
      'dists/stable/Release': 'R2',
      'dists/stable/InRelease': 'signed R2',
      'dists/stable/main/binary-amd64/Packages': 'packages of R2',
      'minisign.pub': 'public key',
      'pool/main/a/a_1.0.deb': 'package a 1.0',
      'pool/main/b/b_2.0.deb': 'package b 2.0',
    });
    // b_2.0 and the three changed indexes; a_1.0 and the key were already there.
    expect(result.filesTransferred).toBe(4);
    expect(result.filesDeleted).toBeGreaterThanOrEqual(1);
  });

  it('a pool file that cannot be sent (a dangling link) stops it before dists/: the mirror keeps its old indexes and files', async () => {
    const a = storeFile('a', 'package a 1.0');
    const c = storeFile('c', 'package c 1.0');
    const dest = path.join(root, 'mirror');
    await rsyncTarget(dest, snapshot('1', { release: 'R1', pool: { 'pool/main/a/a_1.0.deb': { store: a, link: 'hard' } } }));
    const before = tree(dest);

    const err = await failure(rsyncTarget(dest, snapshot('2', {
      release: 'R2', pool: { 'pool/main/c/c_1.0.deb': { store: c, link: 'symlink' } }, dangling: 'pool/main/d/d_1.0.deb',
    })));

    expect(err.code).toBe('PUBLISH_TARGET_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.details).toMatchObject({ reason: 'source', exitCode: 23, retryable: false });
    expect(err.message).toMatch(/pass 1\/3 \(packages and keys\) failed \(rsync exit code 23\): .*symlink has no referent/s);
    const after = tree(dest);
    // dists/ untouched, nothing deleted (a_1.0 is still there for the old indexes); only the new pool file arrived.
    expect(after).toEqual({ ...before, 'pool/main/c/c_1.0.deb': 'package c 1.0' });
  });

  describe('the order of the passes, seen on the destination as each pass starts', () => {
    const log = () => path.join(root, 'passes.log');
    beforeEach(() => {
      fakeRsync([
        'for last; do :; done', // $last = the destination argument
        `echo "PASS $*" >> "${path.join(root, 'passes.log')}"`,
        `(cd "${path.join(root, 'mirror')}" 2>/dev/null && find . -type f | sort | while read f; do echo "  $f=$(cat "$f")"; done) >> "${path.join(root, 'passes.log')}"`,
        'exec /usr/bin/rsync "$@"',
      ].join('\n'));
    });

    it('pool first (nothing deleted), then dists/ with --delay-updates, then --delete-after', async () => {
      const a = storeFile('a', 'A1');
      const b = storeFile('b', 'B1');
      const dest = path.join(root, 'mirror');
      await rsyncTarget(dest, snapshot('1', { release: 'R1', pool: { 'pool/a.deb': { store: a, link: 'hard' } } }));
      fs.rmSync(log());

      const source = snapshot('2', { release: 'R2', pool: { 'pool/b.deb': { store: b, link: 'symlink' } } });
      await rsyncTarget(dest, source);

      const passes = fs.readFileSync(log(), 'utf8').split(/^PASS /m).slice(1).map((p) => p.split('\n'));
      expect(passes).toHaveLength(3);
      const [args1, args2, args3] = passes.map((p) => p[0]);
      expect(args1).toContain('--exclude=/dists');
      expect(args1).toContain('--copy-links');
      expect(args1).not.toMatch(/--delete|--delay-updates/);
      expect(args1.endsWith(`${source}/ ${dest}/`)).toBe(true);
      expect(args2).toMatch(/--checksum.*--delay-updates.*--include=\*\/ --include=\/dists\/\*\*\* --exclude=\*/);
      expect(args2).not.toContain('--delete');
      expect(args2.endsWith(`${source}/ ${dest}/`)).toBe(true);
      expect(args3).toMatch(/--delay-updates.*--delete-after/);
      expect(args3.endsWith(`${source}/ ${dest}/`)).toBe(true);

      // As pass 2 starts: the new pool file is there, dists/ is still the old one, the old pool file too.
      expect(passes[1]).toEqual(expect.arrayContaining(['  ./pool/b.deb=B1', '  ./pool/a.deb=A1', '  ./dists/stable/Release=R1']));
      // As pass 3 starts: dists/ is the new one, the old pool file is still there (deleted only now).
      expect(passes[2]).toEqual(expect.arrayContaining(['  ./dists/stable/Release=R2', '  ./pool/a.deb=A1', '  ./pool/b.deb=B1']));
      expect(tree(dest)).not.toHaveProperty('pool/a.deb');
    });

    it('a pacman snapshot: packages first, then every arch\'s databases and the Release together, then deletions', async () => {
      const pacman = (name: string, pkg: string, release: string) => {
        const dir = path.join(root, 'snapshots', name);
        write(path.join(dir, 'Release'), release);
        write(path.join(dir, 'Release.minisig'), `sig ${release}`);
        for (const arch of ['x86_64', 'i686']) {
          for (const db of ['t.db', 't.db.tar.gz', 't.db.sig', 't.files', 't.files.tar.gz', 't.files.sig']) write(path.join(dir, arch, db), `${db} of ${release}`);
          write(path.join(dir, arch, pkg), pkg);
        }
        return dir;
      };
      const layout = pacmanSnapshotIndex.mirrorLayout;
      const dest = path.join(root, 'mirror');
      await rsyncTarget(dest, pacman('1', 'a-1-1-any.pkg.tar.zst', 'R1'), { layout });
      fs.rmSync(log());
      const source = pacman('2', 'b-1-1-any.pkg.tar.zst', 'R2');
      await rsyncTarget(dest, source, { layout });

      const passes = fs.readFileSync(log(), 'utf8').split(/^PASS /m).slice(1).map((p) => p.split('\n'));
      expect(passes).toHaveLength(3);
      // As pass 2 starts: the new packages are there, every index is still the old one.
      expect(passes[1]).toEqual(expect.arrayContaining(['  ./x86_64/b-1-1-any.pkg.tar.zst=b-1-1-any.pkg.tar.zst', '  ./x86_64/a-1-1-any.pkg.tar.zst=a-1-1-any.pkg.tar.zst',
        '  ./Release=R1', '  ./x86_64/t.db=t.db of R1', '  ./i686/t.files.sig=t.files.sig of R1']));
      // As pass 3 starts: every index is the new one, the old packages are still there (deleted only now).
      expect(passes[2]).toEqual(expect.arrayContaining(['  ./Release=R2', '  ./Release.minisig=sig R2', '  ./x86_64/t.db=t.db of R2', '  ./i686/t.db.tar.gz=t.db.tar.gz of R2',
        '  ./i686/t.files.sig=t.files.sig of R2', '  ./i686/a-1-1-any.pkg.tar.zst=a-1-1-any.pkg.tar.zst']));
      expect(tree(dest)).toEqual(tree(source));
    });
  });
});

describe('rsyncTarget: failures', () => {
  it('a snapshot folder without dists/ is refused before rsync runs', async () => {
    const dest = path.join(root, 'mirror');
    write(path.join(root, 'half', 'pool', 'x.deb'), 'x');
    const err = await failure(rsyncTarget(dest, path.join(root, 'half')));
    expect(err.details).toMatchObject({ reason: 'source', retryable: false });
    expect(err.message).toMatch(/is not a published repository \(no dists\)/);
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('a relative or malformed destination is refused', async () => {
    const source = snapshot('1', { release: 'R1', pool: {} });
    expect((await failure(rsyncTarget('mirror', source))).message).toMatch(/the destination must be absolute/);
    expect((await failure(rsyncTarget('host:', source))).details).toMatchObject({ reason: 'destination', retryable: false });
  });

  it('a destination whose parent folder does not exist is not retryable', async () => {
    const source = snapshot('1', { release: 'R1', pool: {} });
    const err = await failure(rsyncTarget(path.join(root, 'no', 'such', 'mirror'), source));
    expect(err.details).toMatchObject({ reason: 'destination', retryable: false, exitCode: 11 });
    expect(err.message).toMatch(/mkdir .* failed: No such file or directory/);
  });

  it('an ssh host that refuses the connection is retryable', async ({ skip }) => {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect(22, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (listening) skip('an ssh server listens on this machine');
    const source = snapshot('1', { release: 'R1', pool: {} });
    const err = await failure(rsyncTarget('127.0.0.1:/srv/kiln-test-mirror', source));
    expect(err.details).toMatchObject({ reason: 'network', retryable: true });
    expect([12, 255]).toContain(err.details.exitCode); // rsync's "connection closed", or ssh's own code
    expect(err.message).toMatch(/Connection refused/);
  });

  describe('with an rsync that hangs', () => {
    beforeEach(() => {
      // A child of its own, like rsync's ssh: stopping rsync must stop it too.
      fakeRsync(`sleep 30 & echo $! > "${path.join(root, 'child.pid')}"\nwait`);
    });

    /** Gone, or a zombie only waiting for init to reap it. */
    const childGone = () => {
      const pid = Number(fs.readFileSync(path.join(root, 'child.pid'), 'utf8'));
      try {
        return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return true;
      }
    };

    it('the timeout stops it (and its children) with a retryable PUBLISH_TARGET_TIMEOUT', async () => {
      const source = snapshot('1', { release: 'R1', pool: {} });
      const started = Date.now();
      const err = await failure(rsyncTarget(path.join(root, 'mirror'), source, { timeoutMs: 500 }));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err.code).toBe('PUBLISH_TARGET_TIMEOUT');
      expect(err.details).toMatchObject({ reason: 'timeout', retryable: true });
      expect(err.message).toMatch(/stopped in pass 1\/3/);
      await expect.poll(childGone).toBe(true);
    });

    it('cancellation stops it and throws the signal\'s reason', async () => {
      const source = snapshot('1', { release: 'R1', pool: {} });
      const controller = new AbortController();
      const reason = new Error('activity cancelled');
      setTimeout(() => controller.abort(reason), 300);
      await expect(rsyncTarget(path.join(root, 'mirror'), source, { signal: controller.signal })).rejects.toBe(reason);
      await expect.poll(childGone).toBe(true);
    });
  });
});

describe('classifyRsyncExit', () => {
  it.each<[number, string, string, boolean]>([
    [1, 'rsync: --bogus: unknown option', 'destination', false],
    [11, 'rsync: [Receiver] mkdir "/x" failed: No such file or directory (2)', 'destination', false],
    [23, 'symlink has no referent: "/snap/pool/x"', 'source', false],
    [23, 'rsync: [Receiver] open "/m/x" failed: Permission denied (13)', 'destination', false],
    [24, 'file has vanished', 'source', true],
    [12, 'ssh: connect to host m port 22: Connection refused', 'network', true],
    [12, 'ssh: connect to host m port 22: Connection timed out', 'network', true],
    [12, 'ssh: Could not resolve hostname m: Temporary failure in name resolution', 'network', true],
    [12, 'ssh: Could not resolve hostname m: Name or service not known', 'destination', false],
    [12, 'kiln@m: Permission denied (publickey).', 'destination', false],
    [255, 'Host key verification failed.', 'destination', false],
    [12, 'bash: line 1: rsync: command not found', 'destination', false],
    [10, 'error in socket IO', 'network', true],
    [30, 'timeout in data send/receive', 'timeout', true],
    [35, '', 'timeout', true],
  ])('exit %i, "%s"', (code, stderr, reason, retryable) => {
    expect(classifyRsyncExit(code, stderr)).toEqual({ reason, retryable });
  });
});
