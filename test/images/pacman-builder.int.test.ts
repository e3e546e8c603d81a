import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depsNetwork } from '../../activities/builder/deps-network';
import { extractResults } from '../../activities/builder/result-archive';
import { docker, requireImage } from '../../activities/docker/engine';
import { Sandbox } from '../../activities/docker/sandbox';
import { PROJECT_ROOT } from '../../domain/project-paths';

// The pacman builder image (images/pacman) and its kiln-build, run the way the build worker runs a build: an idle
// sandbox on the dependency network, `kiln-build deps` as root, the container leaves every network, `kiln-build build`
// as builder, results taken from /home/builder/out as a tar stream. The example Arch tree builds in dependency order,
// each package base seeing the earlier ones' packages as WIP lanes (/wip/<lane>/wip-<lane>.db, made here by the real
// repo-add). The images are the ones setup builds (x86_64 and i686; the tag is computed as setup computes it); missing,
// this fails naming setup.
const RECIPE = ['images/pacman/build-image.sh', 'images/pacman/packages.txt', 'images/pacman/kiln-build', 'images/pacman/kiln-install-test', 'images/common/kiln-run-test'];
const hash = crypto.createHash('sha256');
for (const file of RECIPE) hash.update(fs.readFileSync(path.join(PROJECT_ROOT, file)));
const HASH = hash.digest('hex').slice(0, 12);
const imageOf = (arch: string) => `kiln-builder:pacman-bookworm-${arch}-${HASH}`;
const IMAGE = imageOf('x86_64');
const EXAMPLES = path.join(PROJECT_ROOT, 'examples', 'arch');
const OUT = '/home/builder/out';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-pacman-'));
const sandboxes: Sandbox[] = [];
let network = 'none';
let proxyUrl = '';

interface Run { deps: number; build?: number; log: string; uname?: string; packages: string[] }

/** One build of a recipe dir against a WIP view (or none), as the worker does it. */
async function build(recipe: string, wip?: string, scope = 'any', image = IMAGE): Promise<Run> {
  const binds = [`${recipe}:/src:ro`, ...(wip ? [`${wip}:/wip:ro`] : [])];
  const sandbox = await Sandbox.create({
    image, binds, network, memoryMb: 1024, cpus: 1, pids: 512, diskMb: 1024,
    labels: { 'org.kiln.test': 'pacman-builder', 'org.kiln.worker-pid': String(process.pid) },
  });
  sandboxes.push(sandbox);
  let log = '';
  const onOutput = (chunk: Buffer) => { log += chunk.toString(); };
  // What the worker passes a pacman build (the format's build environment, and the proxy it does not use).
  const env = { MAKEFLAGS: '-j1', ...(proxyUrl ? { KILN_APT_PROXY: proxyUrl } : {}) };
  try {
    const deps = await sandbox.exec(['/usr/local/bin/kiln-build', 'deps', scope], { user: 'root', env, onOutput });
    if (deps !== 0) return { deps, log, packages: [] };
    await sandbox.isolate();
    const built = await sandbox.exec(['/usr/local/bin/kiln-build', 'build', scope], { user: 'builder', env, onOutput });
    let uname = '';
    await sandbox.exec(['uname', '-m'], { user: 'builder', onOutput: (chunk) => { uname += chunk.toString(); } });
    const packages: string[] = [];
    if (built === 0) {
      const into = fs.mkdtempSync(path.join(root, 'out-'));
      for (const result of await extractResults(await sandbox.archive(OUT), path.basename(OUT), into, { maxFiles: 20, maxBytes: 64 << 20 })) {
        packages.push(result.file);
      }
    }
    return { deps, build: built, log, uname: uname.trim(), packages };
  } finally {
    await sandbox.remove();
  }
}

/** A WIP view: one lane per entry, its packages and a repo-add database wip-<lane>.db. */
function wipView(lanes: Record<string, string[]>): string {
  const wip = fs.mkdtempSync(path.join(root, 'wip-'));
  for (const [lane, files] of Object.entries(lanes)) {
    const dir = path.join(wip, lane);
    fs.mkdirSync(dir);
    for (const file of files) fs.copyFileSync(file, path.join(dir, path.basename(file)));
    execFileSync('repo-add', ['-q', `wip-${lane}.db.tar.gz`, ...files.map((f) => path.basename(f))], { cwd: dir, stdio: 'pipe' });
    expect(fs.existsSync(path.join(dir, `wip-${lane}.db`))).toBe(true);
  }
  return wip;
}

/** A copy of an example package base (the host mounts a recipe export, never the tree itself). */
function recipe(name: string, edit?: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(root, `${name}-`));
  fs.cpSync(path.join(EXAMPLES, name), dir, { recursive: true });
  edit?.(dir);
  return dir;
}

function pkginfo(file: string): Record<string, string> {
  const text = execFileSync('bsdtar', ['-xOf', file, '.PKGINFO'], { encoding: 'utf8' });
  return Object.fromEntries(text.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ') as [string, string]));
}

describe('pacman builder image', () => {
  const built: Record<string, string> = {};

  beforeAll(async () => {
    await requireImage(IMAGE);
    await requireImage(imageOf('i686'));
    const deps = await depsNetwork(() => undefined);
    network = deps.name;
    proxyUrl = deps.proxyUrl;
  });

  afterAll(async () => {
    for (const sandbox of sandboxes) await sandbox.remove();
    const left = await docker().listContainers({ all: true, filters: { label: ['org.kiln.test=pacman-builder', `org.kiln.worker-pid=${process.pid}`] } });
    fs.rmSync(root, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('builds kiln-arch-data (arch=any) with no WIP', async () => {
    const run = await build(recipe('kiln-arch-data'), undefined, 'all');
    expect(run.build, run.log).toBe(0);
    expect(run.packages.map((f) => path.basename(f))).toEqual(['kiln-arch-data-1.0-1-any.pkg.tar.zst']);
    expect(pkginfo(run.packages[0]!)).toMatchObject({ pkgname: 'kiln-arch-data', pkgver: '1.0-1', arch: 'any' });
    built['kiln-arch-data'] = run.packages[0]!;
  });

  it('builds kiln-arch-hello for x86_64 with kiln-arch-data from the `any` WIP lane', async () => {
    const wip = wipView({ any: [built['kiln-arch-data']!] });
    const run = await build(recipe('kiln-arch-hello'), wip);
    expect(run.build, run.log).toBe(0);
    expect(run.log).toContain('installing kiln-arch-data');
    expect(run.log).not.toMatch(/^error:/m);
    expect(run.uname).toBe('x86_64');
    expect(run.packages.map((f) => path.basename(f))).toEqual(['kiln-arch-hello-1.0-1-x86_64.pkg.tar.zst']);
    expect(pkginfo(run.packages[0]!)).toMatchObject({ pkgname: 'kiln-arch-hello', arch: 'x86_64', makedepend: 'kiln-arch-data' });
    built['kiln-arch-hello'] = run.packages[0]!;
  });

  it('builds kiln-arch-greet with both lanes, and the packages pass their kiln-test in a clean container', async () => {
    const wip = wipView({ any: [built['kiln-arch-data']!], x86_64: [built['kiln-arch-hello']!] });
    const run = await build(recipe('kiln-arch-greet'), wip, 'all');
    expect(run.build, run.log).toBe(0);
    expect(run.log).toContain('[wip-x86_64]');
    expect(pkginfo(run.packages[0]!)).toMatchObject({ pkgname: 'kiln-arch-greet', arch: 'any', depend: 'kiln-arch-hello' });

    // Installed with pacman -U (greet's depends resolved from the packages given), then each kiln-test. ld.so.conf is
    // moved aside as kiln-build deps does: pacman would run ldconfig through chroot(2), which the sandbox may not.
    const pkgs = fs.mkdtempSync(path.join(root, 'pkgs-'));
    for (const file of [built['kiln-arch-data']!, built['kiln-arch-hello']!, run.packages[0]!]) fs.copyFileSync(file, path.join(pkgs, path.basename(file)));
    const sandbox = await Sandbox.create({
      image: IMAGE, binds: [`${pkgs}:/pkgs:ro`, `${EXAMPLES}:/examples:ro`], network: 'none',
      memoryMb: 512, cpus: 1, pids: 256, diskMb: 256, labels: { 'org.kiln.test': 'pacman-builder', 'org.kiln.worker-pid': String(process.pid) },
    });
    sandboxes.push(sandbox);
    let log = '';
    const script = 'mv /etc/ld.so.conf /etc/ld.so.conf.off && pacman -U --noconfirm /pkgs/*.pkg.tar.zst && mv /etc/ld.so.conf.off /etc/ld.so.conf'
      + ' && /examples/kiln-arch-data/kiln-test && /examples/kiln-arch-hello/kiln-test && /examples/kiln-arch-greet/kiln-test && kiln-arch-greet';
    const code = await sandbox.exec(['sh', '-c', script], { user: 'root', onOutput: (chunk) => { log += chunk.toString(); } });
    await sandbox.remove();
    expect(code, log).toBe(0);
    expect(log).toContain('hello from kiln-arch-data (kiln-arch-hello, built for x86_64)');
  });

  it('builds kiln-arch-hello for i686 (a 32-bit userland and uname -m, even when the worker does not set it)', async () => {
    // The arch-independent kiln-arch-data built on x86_64 serves every arch's `any` lane.
    const run = await build(recipe('kiln-arch-hello'), wipView({ any: [built['kiln-arch-data']!] }), 'any', imageOf('i686'));
    expect(run.build, run.log).toBe(0);
    expect(run.log).toContain('makepkg --nodeps (as builder, i686, uname -m: i686, no network)');
    expect(run.packages.map((f) => path.basename(f))).toEqual(['kiln-arch-hello-1.0-1-i686.pkg.tar.zst']);
    expect(pkginfo(run.packages[0]!)).toMatchObject({ pkgname: 'kiln-arch-hello', arch: 'i686' });
    const elf = execFileSync('bsdtar', ['-xOf', run.packages[0]!, 'usr/bin/kiln-arch-hello']);
    expect(elf.subarray(0, 5)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1])); // ELF, ELFCLASS32
  });

  it('exits 78 when the committed .SRCINFO disagrees with the PKGBUILD, with the diff and how to regenerate it', async () => {
    const dir = recipe('kiln-arch-data', (d) => {
      const file = path.join(d, 'PKGBUILD');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('pkgrel=1', 'pkgrel=2'));
    });
    const run = await build(dir, undefined, 'all');
    expect(run.deps).toBe(0);
    expect(run.build, run.log).toBe(78);
    expect(run.log).toContain('+\tpkgrel = 2');
    expect(run.log).toContain('makepkg --printsrcinfo > .SRCINFO');
    expect(run.packages).toEqual([]);
  });

  it('exits 76 in the deps phase for a makedepends this push did not build', async () => {
    // A consistent recipe (PKGBUILD and .SRCINFO agree): the deps phase reads .SRCINFO and stops there.
    const dir = recipe('kiln-arch-hello', (d) => {
      const edit = (name: string, from: string, to: string) => {
        const file = path.join(d, name);
        const text = fs.readFileSync(file, 'utf8');
        expect(text).toContain(from);
        fs.writeFileSync(file, text.replace(from, to));
      };
      edit('PKGBUILD', 'makedepends=(kiln-arch-data)', "makedepends=(kiln-arch-data 'kiln-arch-missing>=2')");
      edit('.SRCINFO', '\tmakedepends = kiln-arch-data\n', '\tmakedepends = kiln-arch-data\n\tmakedepends = kiln-arch-missing>=2\n');
    });
    const run = await build(dir, wipView({ any: [built['kiln-arch-data']!] }));
    expect(run.deps, run.log).toBe(76);
    expect(run.build).toBeUndefined();
    expect(run.log).toContain('kiln-arch-missing>=2 is not built by this push: no Arch mirror is reachable here, so a PKGBUILD can depend only on packages Kiln builds (the toolchain is implied)');
  });
});
