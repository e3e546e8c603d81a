import * as fs from 'node:fs';

const FALLBACK = 'http://deb.debian.org/debian';

/**
 * The Debian mirror apt on this host uses (deb822 sources first, then sources.list), as scripts/lib/mirror.sh reads
 * it: builder images are made from the same one, so it is what their dependency phase may reach.
 * KILN_DEBIAN_MIRRORS (space-separated URLs) overrides it, e.g. for a local mirror.
 */
export function debianMirrors(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env.KILN_DEBIAN_MIRRORS?.split(/\s+/).filter(Boolean);
  if (given && given.length > 0) return given;
  const deb822 = read('/etc/apt/sources.list.d/debian.sources');
  const fromDeb822 = deb822?.split('\n').find((l) => l.startsWith('URIs:') && !l.includes('security'))?.split(/\s+/)[1];
  if (fromDeb822) return [fromDeb822];
  const list = read('/etc/apt/sources.list');
  for (const line of list?.split('\n') ?? []) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'deb' || line.includes('security')) continue;
    const uri = words.find((w) => /^https?:/.test(w));
    if (uri) return [uri];
  }
  return [FALLBACK];
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
