import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';

/**
 * The files a build left in its output folder, sorted. The build container wrote them, so anything but a regular
 * file is refused before the host opens it: a symlink there (`out/x.deb -> /var/lib/kiln/wip-key/...`) would
 * otherwise be followed by the store and published, and a folder or device is not a build result.
 */
export async function buildOutputFiles(out: string): Promise<string[]> {
  const names = (await fs.promises.readdir(out)).sort();
  for (const name of names) {
    const stat = await fs.promises.lstat(path.join(out, name));
    if (!stat.isFile()) {
      const what = stat.isSymbolicLink() ? 'a symlink' : stat.isDirectory() ? 'a folder' : 'a special file';
      throw ApplicationFailure.nonRetryable(`the build's output ${name} is ${what}, not a file: refused, never read on the host`, 'BuildFailed');
    }
  }
  return names;
}
