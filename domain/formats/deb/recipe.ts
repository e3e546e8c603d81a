// One Debian source package of a ports tree, read from its debian/control and debian/changelog. The result is a
// value, never an exception: planning turns a bad recipe into an error for that package only.
import { KilnError, type ErrorCode } from '../../errors';
import { parseChangelog } from './changelog';
import { parseControl, type DebBinary } from './control';
import type { Relation } from './relations';

export interface DebRecipe {
  /** The package directory in the tree. */
  dir: string;
  source: string;
  /** From the first debian/changelog entry. */
  version: string;
  binaries: DebBinary[];
  buildDepends: Relation[][];
}

export interface DebRecipeInput {
  dir: string;
  control: string;
  changelog: string;
}

export type DebRecipeResult =
  | { ok: true; recipe: DebRecipe }
  | { ok: false; error: { code: ErrorCode; message: string } };

function failure(file: string, e: unknown): DebRecipeResult {
  // Only KilnErrors describe bad input; anything else is a bug in Kiln and must surface as one.
  if (!(e instanceof KilnError)) throw e;
  return { ok: false, error: { code: e.code, message: `${file}: ${e.message}` } };
}

export function parseDebRecipe(input: DebRecipeInput): DebRecipeResult {
  let control;
  try {
    control = parseControl(input.control);
  } catch (e) {
    return failure('debian/control', e);
  }
  let entry;
  try {
    entry = parseChangelog(input.changelog);
  } catch (e) {
    return failure('debian/changelog', e);
  }
  if (entry.source !== control.source) {
    return {
      ok: false,
      error: {
        code: 'RECIPE_INVALID',
        message: `debian/changelog names source "${entry.source}" but debian/control says "${control.source}"`,
      },
    };
  }
  return {
    ok: true,
    recipe: { dir: input.dir, source: control.source, version: entry.version, binaries: control.binaries, buildDepends: control.buildDepends },
  };
}
