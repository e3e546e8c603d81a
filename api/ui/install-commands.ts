import { PUBLIC_KEYS } from '../../activities/publish/branch-repo';
import type { FormatId } from '../../domain/formats/format';
import { COMPONENT } from '../../domain/publish/apt-index';

// The commands a user runs to take packages from a branch's repository, in the tree's format: the key, the package
// manager's source, and the minisign check of Release. Every value is quoted for the shell when it needs it.

export function shellQuote(value: string): string {
  return /^[A-Za-z0-9%:/._~@+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface InstallCommands {
  /** What each command is, for the page: the format's words. */
  labels: { keyring: string; sourcesLine: string; addSource: string };
  keyring: string;
  sourcesLine: string;
  addSource: string;
  minisign: string;
}

/** `repoUrl`: the repository's URL without a trailing slash (`<publicUrl>/repos/<tree>/<branch>`). */
export function installCommands(
  tree: string, branch: string, suite: string, repoUrl: string, format: FormatId = 'deb', fingerprint?: string,
): InstallCommands {
  return format === 'pacman' ? pacmanCommands(tree, repoUrl, fingerprint) : aptCommands(tree, branch, suite, repoUrl);
}

function minisignCheck(releaseUrl: string, repoUrl: string): string {
  return [
    `curl -fsSL -O ${shellQuote(releaseUrl)} -O ${shellQuote(`${releaseUrl}.minisig`)} -O ${shellQuote(`${repoUrl}/${PUBLIC_KEYS.minisign}`)}`,
    'minisign -Vm Release -p minisign.pub',
  ].join('\n');
}

function aptCommands(tree: string, branch: string, suite: string, repoUrl: string): InstallCommands {
  const keyring = `/usr/share/keyrings/kiln-${tree}.gpg`;
  const listName = `kiln-${tree}-${branch.replace(/[^A-Za-z0-9._-]/g, '-')}.list`;
  const sourcesLine = `deb [signed-by=${keyring}] ${repoUrl} ${suite} ${COMPONENT}`;
  return {
    labels: { keyring: "The archive key, for apt's signed-by:", sourcesLine: 'The apt source line:', addSource: 'Added to apt:' },
    keyring: `sudo curl -fsSLo ${keyring} ${shellQuote(`${repoUrl}/${PUBLIC_KEYS.openpgp}`)}`,
    sourcesLine,
    addSource: `echo ${shellQuote(sourcesLine)} | sudo tee /etc/apt/sources.list.d/${listName}\nsudo apt-get update`,
    minisign: minisignCheck(`${repoUrl}/dists/${suite}/Release`, repoUrl),
  };
}

/** pacman: the key into pacman's keyring, locally signed; a repository section that requires signed databases. */
function pacmanCommands(tree: string, repoUrl: string, fingerprint: string | undefined): InstallCommands {
  const keyFile = `/tmp/kiln-${tree}.gpg`;
  const section = `[${tree}]\nSigLevel = PackageOptional DatabaseRequired\nServer = ${repoUrl}/$arch`;
  return {
    labels: { keyring: 'The archive key, added to pacman\'s keyring and locally signed:', sourcesLine: 'The repository section for /etc/pacman.conf:', addSource: 'Added to pacman:' },
    keyring: [
      `curl -fsSLo ${keyFile} ${shellQuote(`${repoUrl}/${PUBLIC_KEYS.openpgp}`)}`,
      `sudo pacman-key --add ${keyFile}`,
      `sudo pacman-key --lsign-key ${fingerprint ?? '<the fingerprint `gpg --show-keys ' + keyFile + '` prints>'}`,
    ].join('\n'),
    sourcesLine: section,
    addSource: `printf '%s\\n' ${shellQuote(`[${tree}]`)} 'SigLevel = PackageOptional DatabaseRequired' ${shellQuote(`Server = ${repoUrl}/$arch`)} | sudo tee -a /etc/pacman.conf\nsudo pacman -Sy`,
    minisign: minisignCheck(`${repoUrl}/Release`, repoUrl),
  };
}
