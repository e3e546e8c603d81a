import * as crypto from 'node:crypto';
import type { BuildSpec } from './build';

/**
 * A build is named by what determines its output: the recipe's tree hash, the arch, the builder image and the
 * binary scope. A key that was built is never built again.
 */
export function buildKey(spec: Pick<BuildSpec, 'treeHash' | 'arch' | 'scope'>, image: string): string {
  return crypto.createHash('sha256').update([spec.treeHash, spec.arch, spec.scope, image].join('\0')).digest('hex').slice(0, 32);
}
