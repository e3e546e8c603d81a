import { KilnError } from '../../../domain/errors';
import type { InstallTestPlan } from '../../../domain/install-test';
import type { InstallTestContext } from '../format-io';
import { recipeEntryKind } from '../recipe-file';

/** The file a pacman recipe's install test is: run, offline, once the package base's packages are installed. */
export const KILN_TEST = 'kiln-test';

/** A recipe's kiln-test, if it has one. One that is there but cannot run is an error, not a test quietly left out. */
export async function kilnTestPlan(recipeDir: string, context: InstallTestContext): Promise<InstallTestPlan> {
  const kind = await recipeEntryKind(recipeDir, KILN_TEST);
  if (kind === undefined) return { tests: [], skipped: [] };
  if (kind === 'link') throw new KilnError('RECIPE_INVALID', `${KILN_TEST} is a symbolic link: it must be the test itself`);
  if (kind === 'other') throw new KilnError('RECIPE_INVALID', `${KILN_TEST} is not a regular file`);
  if (kind === 'file') throw new KilnError('RECIPE_INVALID', `${KILN_TEST} is not executable: \`chmod +x ${KILN_TEST}\` and commit it (git keeps the bit)`);
  return {
    tests: [{
      name: KILN_TEST, kind: 'file', run: KILN_TEST, depends: [...context.binaries], builddeps: false,
      asRoot: false, allowStderr: true, skippable: true, flaky: false,
    }],
    skipped: [],
  };
}
