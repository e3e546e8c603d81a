import * as fs from 'node:fs';
import * as path from 'node:path';
import { SETUP_COMMAND, TOOLS_DIR } from '../../domain/project-paths';

/** The Temporal CLI that `scripts/setup.sh` builds (or links from PATH) into the tools dir. */
export function temporalBinary(): string {
  const candidates = [process.env.KILN_TEMPORAL_BIN, path.join(TOOLS_DIR, 'bin', 'temporal')].filter(
    (p): p is string => !!p,
  );
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`the Temporal CLI is missing (looked at ${candidates.join(', ')}): run \`${SETUP_COMMAND}\``);
}
