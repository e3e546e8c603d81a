import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TreeMirror } from '../../../activities/git/mirror';
import { planPush } from '../../../activities/plan/plan-push';
import { parseConfig } from '../../../domain/config';
import { DataLayout } from '../../../domain/data-layout';
import { RECIPE_FILE_MAX_BYTES } from '../../../domain/plan/recipe-limits';
import { PortsRepo } from '../../helpers/ports-repo';

// Planning on a real git repository (no Temporal, no Docker): an oversized recipe is a plan error of its package,
// the others are planned and exported; and an export never leaves a symlink pointing out of the recipe on the host.

const cleanups: Array<() => void> = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-plan-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('planPush', () => {
  it('plans and exports the other packages when one recipe is too large', async () => {
    const repo = new PortsRepo();
    cleanups.push(() => repo.cleanup());
    const control = fs.readFileSync(repo.path('kiln-motd/debian/control'), 'utf8');
    repo.write('kiln-motd/debian/control', control + `\nX-Padding: ${'x'.repeat(RECIPE_FILE_MAX_BYTES)}\n`);
    const commit = repo.commit('huge control');
    const dataDir = tempDir();
    const config = parseConfig([
      `dataDir: ${dataDir}`,
      'trees:',
      `  - { name: ports, url: ${repo.dir}, format: deb, distribution: bookworm, branches: [main], architectures: [amd64] }`,
    ].join('\n'), dataDir, {});
    const layout = new DataLayout(dataDir);

    const plan = await planPush(config, layout, { tree: 'ports', branch: 'main', commit });
    expect(plan.errors).toEqual([expect.objectContaining({ dir: 'kiln-motd', code: 'RECIPE_TOO_LARGE' })]);
    const built = [...new Set(plan.builds.map((b) => b.source))].sort();
    expect(built).toEqual(['kiln-docs', 'kiln-greet', 'kiln-hello', 'libkiln']);
    for (const b of plan.builds) expect(fs.existsSync(layout.recipe('ports', b.treeHash))).toBe(true);
  });
});

describe('TreeMirror.exportTree', () => {
  it('keeps symlinks inside the recipe and refuses an export with one leaving it', async () => {
    const repo = new PortsRepo({ fromExamples: false });
    cleanups.push(() => repo.cleanup());
    repo.write('inside/file', 'x\n');
    fs.symlinkSync('file', repo.path('inside/link'));
    repo.write('outside/file', 'x\n');
    fs.symlinkSync('/etc', repo.path('outside/etc'));
    const commit = repo.commit('links');
    const dir = tempDir();
    const mirror = new TreeMirror(repo.dir, path.join(dir, 'ports.git'));
    await mirror.sync();
    const { trees } = await mirror.list(commit);

    await mirror.exportTree(trees.get('inside')!, path.join(dir, 'inside'));
    expect(fs.readlinkSync(path.join(dir, 'inside', 'link'))).toBe('file');

    await expect(mirror.exportTree(trees.get('outside')!, path.join(dir, 'outside'))).rejects.toThrow(/symlink leaving it \(etc\)/);
    expect(fs.readdirSync(dir).sort()).toEqual(['inside', 'ports.git']);
  });
});
