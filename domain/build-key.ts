import * as crypto from 'node:crypto';
import type { BuildSpec } from './build';

/**
 * A build is named by what determines its output: the recipe's tree hash, the arch, the builder image and the
 * binary scope. A key that was built is never built again.
 */
export function buildKey(spec: Pick<BuildSpec, 'treeHash' | 'arch' | 'scope' | 'withSource'>, image: string): string {
  // A build that also makes the source package is another build; the others keep the keys they always had.
  const parts = [spec.treeHash, spec.arch, spec.scope, image, ...(spec.withSource ? ['source'] : [])];
  return crypto.createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}
