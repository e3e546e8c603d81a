import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { simpleGit } from 'simple-git';

const exec = promisify(execFile);

/** A local path that is a directory but not a git repository (e.g. examples/ports inside Kiln's own checkout). */
export function isPlainDirectory(url: string): boolean {
  if (!path.isAbsolute(url) || !fs.existsSync(url) || !fs.statSync(url).isDirectory()) return false;
  return !fs.existsSync(path.join(url, '.git')) && !fs.existsSync(path.join(url, 'HEAD'));
}

/**
 * Record a plain directory's current content as a commit on `branch` of a git repository Kiln keeps for it, so it
 * can be pushed and built like any ports tree. Unchanged content makes no new commit. Returns the branch head.
 */
export async function importDirectory(dir: string, repoDir: string, branch: string): Promise<string> {
  if (!fs.existsSync(path.join(repoDir, '.git'))) {
    await fs.promises.mkdir(repoDir, { recursive: true });
    await simpleGit({ baseDir: repoDir }).init(['--quiet', `--initial-branch=${branch}`]);
  }
  const repo = simpleGit({ baseDir: repoDir });
  const current = (await repo.raw(['symbolic-ref', '--short', 'HEAD']).catch(() => '')).trim();
  if (current !== branch) await repo.raw(['checkout', '--quiet', '-B', branch]);
  // Mirror the directory into the work tree: rsync deletes what the directory no longer has (and keeps .git).
  await exec('rsync', ['-a', '--delete', '--exclude=/.git', `${dir}/`, `${repoDir}/`]);
  await repo.raw(['add', '-A']);
  const changed = (await repo.raw(['status', '--porcelain'])).trim() !== '';
  const hasHead = await repo.raw(['rev-parse', '--verify', '--quiet', 'HEAD']).then(() => true, () => false);
  if (changed || !hasHead) {
    await repo.raw(['-c', 'user.name=Kiln', '-c', 'user.email=kiln@localhost', 'commit', '--quiet', '--allow-empty',
      '-m', `Import of ${dir} at ${new Date().toISOString()}`]);
  }
  return (await repo.raw(['rev-parse', 'HEAD'])).trim();
}
