import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Link a stored file into a repository (WIP lane, snapshot pool): nothing is copied, unless the target is on another
 * filesystem. An existing target is kept: store files are immutable and named by content or by the caller's key.
 */
export async function hardLink(source: string, target: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  try {
    await fs.promises.link(source, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code === 'EXDEV') { await fs.promises.copyFile(source, target); return; }
    throw err;
  }
}
