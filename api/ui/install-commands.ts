import { PUBLIC_KEYS } from '../../activities/publish/branch-repo';
import { COMPONENT } from '../../domain/publish/apt-index';

// The commands a user runs to take packages from a branch's repository: the key, the apt source, and the minisign
// check of Release. Every value is quoted for the shell when it needs it.

export function shellQuote(value: string): string {
  return /^[A-Za-z0-9%:/._~@+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface InstallCommands {
  keyring: string;
  sourcesLine: string;
  addSource: string;
  minisign: string;
}

/** `repoUrl`: the repository's URL without a trailing slash (`<publicUrl>/repos/<tree>/<branch>`). */
export function installCommands(tree: string, branch: string, suite: string, repoUrl: string): InstallCommands {
  const keyring = `/usr/share/keyrings/kiln-${tree}.gpg`;
  const listName = `kiln-${tree}-${branch.replace(/[^A-Za-z0-9._-]/g, '-')}.list`;
  const sourcesLine = `deb [signed-by=${keyring}] ${repoUrl} ${suite} ${COMPONENT}`;
  return {
    keyring: `sudo curl -fsSLo ${keyring} ${shellQuote(`${repoUrl}/${PUBLIC_KEYS.openpgp}`)}`,
    sourcesLine,
    addSource: `echo ${shellQuote(sourcesLine)} | sudo tee /etc/apt/sources.list.d/${listName}\nsudo apt-get update`,
    minisign: [
      `curl -fsSL -O ${shellQuote(`${repoUrl}/dists/${suite}/Release`)} -O ${shellQuote(`${repoUrl}/dists/${suite}/Release.minisig`)} -O ${shellQuote(`${repoUrl}/${PUBLIC_KEYS.minisign}`)}`,
      'minisign -Vm Release -p minisign.pub',
    ].join('\n'),
  };
}
