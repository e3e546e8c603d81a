import { describe, expect, it } from 'vitest';
import { installCommands } from '../../../api/ui/install-commands';

// The install instructions in the tree's format: what the repository page and the npm start banner show.
describe('installCommands', () => {
  const url = 'http://127.0.0.1:8080/repos/example-arch/main';

  it('pacman: the key added and locally signed by fingerprint, a section requiring signed databases', () => {
    const c = installCommands('example-arch', 'main', 'bookworm', url, 'pacman', '2FAD886C0CE9841D59CC18777E1E63C4C5598C81');
    expect(c.keyring).toBe([
      `curl -fsSLo /tmp/kiln-example-arch.gpg ${url}/kiln-archive-keyring.gpg`,
      'sudo pacman-key --add /tmp/kiln-example-arch.gpg',
      'sudo pacman-key --lsign-key 2FAD886C0CE9841D59CC18777E1E63C4C5598C81',
    ].join('\n'));
    expect(c.sourcesLine).toBe(`[example-arch]\nSigLevel = PackageOptional DatabaseRequired\nServer = ${url}/$arch`);
    expect(c.addSource).toContain('sudo tee -a /etc/pacman.conf');
    expect(c.minisign).toContain(`${url}/Release.minisig`);
    expect(c.labels.sourcesLine).toMatch(/pacman\.conf/);
  });

  it('deb: unchanged, the apt source line with signed-by', () => {
    const c = installCommands('example', 'main', 'main', 'http://h/repos/example/main');
    expect(c.sourcesLine).toBe('deb [signed-by=/usr/share/keyrings/kiln-example.gpg] http://h/repos/example/main main main');
    expect(c.minisign).toContain('http://h/repos/example/main/dists/main/Release.minisig');
  });
});
