import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { TreeMirror } from '../../../activities/git/mirror';
import { readRecipes } from '../../../activities/plan/read-recipes';
import { debFormat } from '../../../domain/formats/deb/format';
import { RECIPE_FILE_MAX_BYTES, RECIPE_MAX_BYTES, RECIPE_MAX_FILES } from '../../../domain/plan/recipe-limits';
import { PortsRepo } from '../../helpers/ports-repo';

// Recipe size limits and symlinks, on a real git repository and Kiln's mirror of it: an oversized or unsafe package
// is refused with its own plan error, read no further than its size, while the other packages plan as before.

const cleanups: Array<() => void> = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

function setup(): { repo: PortsRepo; mirrorOf: (commit: string) => Promise<Awaited<ReturnType<typeof readRecipes>>> } {
  const repo = new PortsRepo();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-recipes-'));
  cleanups.push(() => repo.cleanup(), () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const mirror = new TreeMirror(repo.dir, path.join(dataDir, 'git', 'ports.git'));
  return {
    repo,
    mirrorOf: async (commit) => {
      await mirror.sync();
      return readRecipes(mirror, debFormat, commit, ['amd64', 'i386']);
    },
  };
}

/** Index entries that all point at one blob: a directory of any size or file count, committed in a moment. */
function addCopies(repo: PortsRepo, content: Buffer, paths: string[]): void {
  const blob = execFileSync('git', ['-C', repo.dir, 'hash-object', '-w', '--stdin'], { input: content, encoding: 'utf8' }).trim();
  execFileSync('git', ['-C', repo.dir, 'update-index', '--add', '--index-info'], {
    input: paths.map((p) => `100644 ${blob}\t${p}\n`).join(''),
  });
}

function commitIndex(repo: PortsRepo, message: string): string {
  repo.git('commit', '--quiet', '-m', message);
  return repo.git('rev-parse', 'HEAD');
}

const sources = (r: Awaited<ReturnType<typeof readRecipes>>) => r.recipes.map((x) => x.source).sort();

describe('readRecipes: size limits', () => {
  it('a debian/control over the limit is RECIPE_TOO_LARGE for that package only', async () => {
    const { repo, mirrorOf } = setup();
    const control = fs.readFileSync(repo.path('kiln-motd/debian/control'), 'utf8');
    repo.write('kiln-motd/debian/control', control + `\nX-Padding: ${'x'.repeat(RECIPE_FILE_MAX_BYTES)}\n`);
    const result = await mirrorOf(repo.commit('huge control'));
    expect(result.invalid).toEqual([{ dir: 'kiln-motd', code: 'RECIPE_TOO_LARGE', message: expect.stringMatching(/debian\/control is \d+ bytes; at most 1048576/) }]);
    expect(sources(result)).toEqual(['kiln-docs', 'kiln-greet', 'kiln-hello', 'libkiln']);
  });

  it('a debian/changelog over the limit is RECIPE_TOO_LARGE', async () => {
    const { repo, mirrorOf } = setup();
    repo.write('kiln-docs/debian/changelog', fs.readFileSync(repo.path('kiln-docs/debian/changelog'), 'utf8') + ' '.repeat(RECIPE_FILE_MAX_BYTES));
    const result = await mirrorOf(repo.commit('huge changelog'));
    expect(result.invalid.map((e) => [e.dir, e.code])).toEqual([['kiln-docs', 'RECIPE_TOO_LARGE']]);
    expect(result.recipes).toHaveLength(4);
  });

  it('a package directory over the byte limit is RECIPE_TOO_LARGE, named by its source', async () => {
    const { repo, mirrorOf } = setup();
    repo.commit('examples');
    const mib = Buffer.alloc(1024 * 1024, 'k');
    const copies = RECIPE_MAX_BYTES / mib.length + 1;
    addCopies(repo, mib, Array.from({ length: copies }, (_, i) => `kiln-hello/data/blob-${i}`));
    const result = await mirrorOf(commitIndex(repo, 'oversized kiln-hello'));
    expect(result.invalid).toEqual([{ dir: 'kiln-hello', source: 'kiln-hello', code: 'RECIPE_TOO_LARGE', message: expect.stringMatching(/bytes; at most 268435456/) }]);
    expect(sources(result)).toEqual(['kiln-docs', 'kiln-greet', 'kiln-motd', 'libkiln']);
  });

  it('a package directory over the file limit is RECIPE_TOO_LARGE', async () => {
    const { repo, mirrorOf } = setup();
    repo.commit('examples');
    addCopies(repo, Buffer.from('x\n'), Array.from({ length: RECIPE_MAX_FILES }, (_, i) => `kiln-motd/many/f${i}`));
    const result = await mirrorOf(commitIndex(repo, 'many files'));
    expect(result.invalid).toEqual([{ dir: 'kiln-motd', source: 'kiln-motd', code: 'RECIPE_TOO_LARGE', message: expect.stringMatching(/holds \d+ files; at most 20000/) }]);
    expect(result.recipes).toHaveLength(4);
  });
});

describe('readRecipes: symlinks', () => {
  it('a symlink inside the package is fine; one leaving it is RECIPE_INVALID for that package only', async () => {
    const { repo, mirrorOf } = setup();
    fs.symlinkSync('../GUIDE.txt', repo.path('kiln-hello/debian/guide'));
    fs.symlinkSync('/etc/passwd', repo.path('kiln-motd/passwd'));
    fs.symlinkSync('../../../..', repo.path('kiln-docs/doc/up'));
    const result = await mirrorOf(repo.commit('symlinks'));
    expect(result.invalid.map((e) => [e.dir, e.code, e.message])).toEqual([
      ['kiln-docs', 'RECIPE_INVALID', expect.stringMatching(/symlink doc\/up .*outside/)],
      ['kiln-motd', 'RECIPE_INVALID', expect.stringMatching(/symlink passwd \(-> \/etc\/passwd\) points outside/)],
    ]);
    expect(sources(result)).toEqual(['kiln-greet', 'kiln-hello', 'libkiln']);
  });

  it('a path listed twice in a hand-made tree is RECIPE_INVALID: no check of the listing can vouch for its export', async () => {
    const { repo, mirrorOf } = setup();
    repo.commit('examples');
    const hash = (text: string) => execFileSync('git', ['-C', repo.dir, 'hash-object', '-w', '--stdin'], { input: text, encoding: 'utf8' }).trim();
    const mktree = (lines: string) => execFileSync('git', ['-C', repo.dir, 'mktree'], { input: lines, encoding: 'utf8' }).trim();
    // `passwd` twice: a symlink out of the package, then a plain file (the listing's last word for that path).
    const motd = mktree(`${repo.git('ls-tree', 'HEAD:kiln-motd')}\n120000 blob ${hash('/etc/passwd')}\tpasswd\n100644 blob ${hash('x\n')}\tpasswd\n`);
    const root = mktree(repo.git('ls-tree', 'HEAD').split('\n')
      .map((line) => (line.endsWith('\tkiln-motd') ? `040000 tree ${motd}\tkiln-motd` : line)).join('\n') + '\n');
    const commit = repo.git('commit-tree', root, '-p', 'HEAD', '-m', 'hand-made');
    repo.git('update-ref', 'refs/heads/main', commit);
    const result = await mirrorOf(commit);
    expect(result.invalid.map((e) => [e.dir, e.code, e.message])).toEqual([['kiln-motd', 'RECIPE_INVALID', expect.stringMatching(/passwd is listed twice/)]]);
    expect(result.recipes).toHaveLength(4);
  });
});
