import * as path from 'node:path';

/**
 * Join relative parts under a root and refuse any result outside it: the last line of defence, where a path is made
 * from recorded build data (pool paths, lanes, architectures), should a record ever hold what the result boundary
 * (domain/formats/deb/built-package.ts) would have refused.
 */
export function pathInside(root: string, ...parts: string[]): string {
  const joined = path.resolve(root, ...parts);
  const base = path.resolve(root);
  if (parts.some((p) => path.isAbsolute(p) || /[\u0000-\u001f\u007f]/.test(p)) || !joined.startsWith(`${base}${path.sep}`)) {
    throw new Error(`refusing a path outside ${base}: ${JSON.stringify(parts.join('/')).slice(0, 200)}`);
  }
  return joined;
}
