import { parseAutopkgtestControl } from '../../../domain/formats/deb/autopkgtest';
import type { InstallTestPlan } from '../../../domain/install-test';
import type { InstallTestContext } from '../format-io';
import { readRecipeFile } from '../recipe-file';

const CONTROL_MAX_BYTES = 256 * 1024;

/** The source's autopkgtests (debian/tests/control), if it has any: none is a plan of no tests. */
export async function autopkgtestPlan(recipeDir: string, context: InstallTestContext): Promise<InstallTestPlan> {
  const text = await readRecipeFile(recipeDir, 'debian/tests/control', CONTROL_MAX_BYTES);
  if (text === undefined) return { tests: [], skipped: [] };
  return parseAutopkgtestControl(text, { binaries: context.binaries });
}
